package yunjing.proxy.testing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import yunjing.common.net.EventLoops;
import yunjing.proxy.ProxyConfig;
import yunjing.proxy.ProxyServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The little network of real nodes a server test builds: event loops for the class, and per test a fresh
 * meter registry, an HTTP/1.1 client and the servers it started, closed newest first after the test.
 * Register it as a static field: {@code @RegisterExtension static final TestNetwork NET = new TestNetwork("x-test");}
 * (after {@code @ExtendWith(LeakCheck.class)}, so everything is closed before the leak check looks).
 */
public final class TestNetwork implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final String threadName;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private EventLoops loops;
    private SimpleMeterRegistry metrics;
    private HttpClient client;

    public TestNetwork(String threadName) {
        this.threadName = threadName;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        loops = EventLoops.create(2, threadName);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        loops.close();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        metrics = new SimpleMeterRegistry();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        client.shutdownNow(); // not close(): a failed test may leave bodies unread, which close() would wait for forever
        try {
            for (AutoCloseable resource : resources.reversed()) {
                resource.close();
            }
        } finally {
            resources.clear();
        }
    }

    public EventLoops loops() {
        return loops;
    }

    /** The meter registry of the node under test ({@link #start(ProxyConfig)}); fresh for each test. */
    public SimpleMeterRegistry metrics() {
        return metrics;
    }

    public HttpClient client() {
        return client;
    }

    /** Closes {@code resource} after the test, before anything added earlier (add an origin first). */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Starts a node reporting to {@link #metrics()}, closed after the test. */
    public ProxyServer start(ProxyConfig config) throws IOException, InterruptedException {
        return start(config, metrics);
    }

    public ProxyServer start(ProxyConfig config, MeterRegistry registry) throws IOException, InterruptedException {
        return add(ProxyServer.start(config, loops, registry));
    }

    /** Starts a node reporting to {@code registry} and waits until it is ready. */
    public ProxyServer startReady(String name, ProxyConfig config, MeterRegistry registry)
            throws IOException, InterruptedException {
        ProxyServer node = start(config, registry);
        Nodes.await(name + " ready", node::isReady);
        return node;
    }

    /** Starts a node reporting to {@link #metrics()} and waits until every parent is healthy. */
    public ProxyServer startWithHealthyParents(ProxyConfig config) throws IOException, InterruptedException {
        ProxyServer node = start(config);
        Nodes.await(config.nodeId() + "'s parents healthy", () -> node.parentHealth().values().stream().allMatch(h -> h));
        return node;
    }

    public HttpResponse<String> get(ProxyServer proxy, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(proxy, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A counter's count in {@link #metrics()}; 0 when it was never incremented. */
    public double count(String name, String tag, String value) {
        Counter counter = metrics.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    public static URI uri(ProxyServer proxy, String path) {
        return URI.create("http://127.0.0.1:" + proxy.httpAddress().getPort() + path);
    }
}
