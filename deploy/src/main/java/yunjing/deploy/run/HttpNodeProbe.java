package yunjing.deploy.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** {@link CanaryGate.NodeProbe} over the nodes' admin ports, with the admin token. */
final class HttpNodeProbe implements CanaryGate.NodeProbe {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient client;
    private final Endpoints endpoints;
    private final String token;

    HttpNodeProbe(HttpClient client, Endpoints endpoints, String token) {
        this.client = client;
        this.endpoints = endpoints;
        this.token = token;
    }

    @Override
    public JsonNode syncStatus(String node) throws IOException {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri(node, RoleLauncher.SYNC_STATUS_PATH))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()));
        if (response.statusCode() != 200) {
            throw new IOException(node + RoleLauncher.SYNC_STATUS_PATH + ": HTTP " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    @Override
    public boolean ready(String node) {
        try {
            return send(HttpRequest.newBuilder(uri(node, "/readyz")).GET()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private java.net.URI uri(String node, String path) throws IOException {
        try {
            return endpoints.admin(node, path); // at each look: a node restarted on another port is found
        } catch (LaunchException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        try {
            return client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
