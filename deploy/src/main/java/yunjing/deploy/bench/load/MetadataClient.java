package yunjing.deploy.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A client asking for model metadata before it starts work, as SDKs and hub clients do: the model list
 * and one model, alternately ({@code GET /v1/models}, {@code GET /v1/models/{id}}).
 */
final class MetadataClient {
    static final String WORKLOAD = "metadata";
    private final String model;
    private final String apiKey;

    MetadataClient(String model, String apiKey) {
        this.model = model;
        this.apiKey = apiKey;
    }

    List<Sample> run(ClientSession session, int requests) {
        List<Sample> out = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            String path = i % 2 == 0 ? "/v1/models" : "/v1/models/" + model;
            HttpRequest request = HttpRequest.newBuilder(session.route().uri(path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + apiKey).GET().build();
            out.add(session.exchange(WORKLOAD, request, this::judge));
        }
        return out;
    }

    private ClientSession.BodyReader.Result judge(HttpResponse<InputStream> response, InputStream body, long start)
            throws IOException {
        byte[] bytes = body.readAllBytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        String error = response.statusCode() != 200 ? "status " + response.statusCode()
                : !text.contains("\"" + model + "\"") ? "metadata without the model id" : null;
        return new ClientSession.BodyReader.Result(bytes.length, -1, error);
    }
}
