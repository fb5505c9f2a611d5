package yunjing.deploy.cli;

import yunjing.deploy.admin.AdminToken;
import yunjing.deploy.run.Endpoints;
import yunjing.deploy.run.StateDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Authenticated POSTs to nodes' admin ports, with the token from the state directory. */
final class AdminClient implements AutoCloseable {

    record Reply(int status, String body) {
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AdminToken token;

    private AdminClient(AdminToken token) {
        this.token = token;
    }

    static AdminClient open(StateDir state) {
        try {
            return new AdminClient(AdminToken.read(state.root().resolve(AdminToken.FILE)));
        } catch (IOException e) {
            throw CliException.usage("no admin token: " + e.getMessage() + " (the nodes create it on first start; "
                    + "pass the nodes' --state-dir)", e);
        }
    }

    Reply post(InetSocketAddress admin, String pathAndQuery) throws IOException, InterruptedException {
        return post(admin, pathAndQuery, null);
    }

    /** A POST with a JSON body ({@code null}: none), answered within 5 s. */
    Reply post(InetSocketAddress admin, String pathAndQuery, String json) throws IOException, InterruptedException {
        return post(admin, pathAndQuery, json, Duration.ofSeconds(5));
    }

    /** A POST with a JSON body (null: none) that may take up to {@code timeout} to be answered. */
    Reply post(InetSocketAddress admin, String pathAndQuery, String json, Duration timeout)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://" + Endpoints.hostPort(admin) + pathAndQuery);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Authorization", "Bearer " + token.value());
        if (json == null) {
            request.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body().strip());
    }

    static String describe(IOException e) {
        return "down (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
    }

    @Override
    public void close() {
        client.close();
    }
}
