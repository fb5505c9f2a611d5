package yunjing.origin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import yunjing.common.net.EventLoops;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.sched.SchedulerConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Starts a real {@link OriginServer} on 127.0.0.1:0 serving a freshly generated tiny model as
 * {@value #MODEL}, once per test class, and stops it afterwards (Armeria's {@code ServerExtension} pattern).
 */
final class OriginServerExtension implements BeforeAllCallback, AfterAllCallback {

    static final String MODEL = "tiny-llama";
    static final String NODE = "test-origin";

    private final SchedulerConfig scheduler;
    private final ModelSpec.ImageParts images;
    private Path dir;
    private EventLoops loops;
    private SimpleMeterRegistry metrics;
    private OriginServer server;

    OriginServerExtension() {
        this(SchedulerConfig.DEFAULTS);
    }

    OriginServerExtension(SchedulerConfig scheduler) {
        this(scheduler, ModelSpec.ImageParts.REFUSE);
    }

    OriginServerExtension(SchedulerConfig scheduler, ModelSpec.ImageParts images) {
        this.scheduler = scheduler;
        this.images = images;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("origin-test-model");
        TestModelGenerator.generate(dir, 2024);
        loops = EventLoops.create(2, "origin-test");
        metrics = new SimpleMeterRegistry();
        server = OriginServer.start(new OriginConfig(NODE, new InetSocketAddress("127.0.0.1", 0),
                List.of(new ModelSpec(MODEL, dir, "r1", images)), 2, scheduler), loops, metrics);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (server != null) {
            server.close();
        }
        if (loops != null) {
            loops.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    OriginServer server() {
        return server;
    }

    EventLoops loops() {
        return loops;
    }

    InetSocketAddress address() {
        return server.httpAddress();
    }

    double counter(String name) {
        return metrics.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + address().getPort() + path);
    }

    /** Tokens sampled so far, over all requests this server handled. */
    double tokensGenerated() {
        return metrics.find("yunjing.origin.tokens.generated").counters().stream().mapToDouble(Counter::count).sum();
    }

    double completions(String finishReason) {
        return metrics.find("yunjing.origin.completions").tag("finish_reason", finishReason).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    double requests(String endpoint, int status) {
        Counter c = metrics.find("yunjing.origin.requests").tag("endpoint", endpoint)
                .tag("status", Integer.toString(status)).counter();
        return c == null ? 0 : c.count();
    }

    SimpleMeterRegistry metrics() {
        return metrics;
    }
}
