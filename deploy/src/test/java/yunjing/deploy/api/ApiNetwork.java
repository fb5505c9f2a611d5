package yunjing.deploy.api;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import yunjing.deploy.run.Endpoints;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.run.RunningRole;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.TopologyLoader;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The embedded local network, all roles in this JVM on ephemeral loopback ports, with extra plans and keys
 * added to the embedded topology for a test class. Register it as a static field,
 * {@code @RegisterExtension static final ApiNetwork network = new ApiNetwork(plans, keys);}: it starts before
 * the class's tests and stops every role (and removes its temporary directory) after them.
 */
final class ApiNetwork implements BeforeAllCallback, AfterAllCallback {

    private final String plans;
    private final Map<String, String> keys;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Path tmp;
    private MirrorNetwork network;

    /**
     * @param plans YAML lines added under {@code plans:}, each indented two spaces (may be empty)
     * @param keys  key secret → {@code plan} or {@code plan, tenant: x} (the rest of a key's flow mapping)
     */
    ApiNetwork(String plans, Map<String, String> keys) {
        this.plans = plans;
        this.keys = keys;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        tmp = Files.createTempDirectory("api-network");
        Path file = tmp.resolve("topology.yaml");
        Files.writeString(file, topology());
        network = MirrorNetwork.startAll(TopologyLoader.load(file), new StateDir(tmp.resolve("state")),
                RunOptions.of(PortMode.EPHEMERAL, Duration.ofMillis(200)));
        network.awaitReady(Duration.ofSeconds(60)); // on failure afterAll still stops what started
    }

    /** The network's state directory (TLS files, admin.token, caches). */
    Path stateDir() {
        return tmp.resolve("state");
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (network != null) {
                network.close();
            }
            http.close();
        } finally {
            if (tmp != null) {
                try (Stream<Path> paths = Files.walk(tmp)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
        }
    }

    /** The embedded topology with this test's plans and keys added. */
    private String topology() throws Exception {
        String text;
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(TopologyLoader.EMBEDDED)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!text.contains("\nplans:\n")) {
            throw new IllegalStateException("the embedded topology changed shape: no top-level plans:");
        }
        StringBuilder yaml = new StringBuilder(text.replace("\nplans:\n", "\nplans:\n" + plans));
        yaml.append('\n');
        int n = 0;
        for (var key : keys.entrySet()) {
            yaml.append("  - { id: test-key-").append(n++).append(", plan: ").append(key.getValue())
                    .append(", sha256: ").append(sha256(key.getKey())).append(" }\n");
        }
        return yaml.toString();
    }

    RunningRole role(String id) {
        return network.role(id).orElseThrow(() -> new IllegalArgumentException("no role " + id));
    }

    /** {@code http://host:port/v1} of a node's HTTP listener: what an OpenAI client takes as its base URL. */
    String apiBase(String id) {
        return "http://" + Endpoints.hostPort(role(id).http()) + "/v1";
    }

    /** The node's Prometheus text from its admin port. */
    String metrics(String id) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://" + Endpoints.hostPort(role(id).adminAddress()) + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(id + " /metrics: " + response.statusCode());
        }
        return response.body();
    }

    /**
     * The value of the first sample of {@code name} whose labels contain every one of {@code labels}
     * (e.g. {@code model="tiny-llama"}), or NaN when there is none.
     */
    static double sample(String prometheusText, String name, String... labels) {
        for (String line : prometheusText.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    HttpClient http() {
        return http;
    }

    static String sha256(String secret) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(secret.getBytes(StandardCharsets.UTF_8)));
    }
}
