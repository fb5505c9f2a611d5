package yunjing.dns;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.xbill.DNS.SimpleResolver;
import yunjing.common.net.EventLoops;
import yunjing.dns.locate.LocatorConfig;
import yunjing.dns.testing.FakeReadyz;
import yunjing.dns.testing.TestZone;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Starts real {@link DnsServer}s on 127.0.0.1, port 0, against fake {@code /readyz} endpoints, and
 * stops every one after each test. Event loops, the fake endpoints and the zone file are shared by
 * the test class. Register as a static field with {@code @RegisterExtension}.
 */
final class DnsServerExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    static final List<String> TARGET_IDS = List.of("t1", "t2", "t3");
    static final Duration HEALTH_INTERVAL = Duration.ofMillis(50);

    private EventLoops loops;
    private FakeReadyz readyz;
    private Path dir;
    private Path zoneFile;
    private final List<DnsServer> started = new ArrayList<>();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        loops = EventLoops.create(2, "dns-test");
        readyz = new FakeReadyz();
        dir = Files.createTempDirectory("yunjing-dns-test");
        zoneFile = TestZone.writeMasterFile(dir);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        started.forEach(DnsServer::close);
        started.clear();
        TARGET_IDS.forEach(id -> readyz.set(id, 200));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        readyz.close();
        loops.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Three IPv4 targets t1..t3 at 127.0.0.41..43, weight 1, probed every 50 ms, down after 3 failures. */
    DnsConfig config() {
        List<DnsTarget> targets = new ArrayList<>();
        for (int i = 0; i < TARGET_IDS.size(); i++) {
            String id = TARGET_IDS.get(i);
            targets.add(new DnsTarget(id, address("127.0.0." + (41 + i)), "SH", "telecom", 1, readyz.url(id)));
        }
        return new DnsConfig("mirror.test", new InetSocketAddress(address("127.0.0.1"), 0),
                List.of("api.mirror.test.", "models.mirror.test"), targets, List.of(address("127.0.0.1")), zoneFile,
                30, 2, HEALTH_INTERVAL, 3);
    }

    /** {@link #config()} with these targets, zone file (null: none) and location data. */
    DnsConfig config(List<DnsTarget> targets, Path zoneFile, LocatorConfig locator) {
        DnsConfig c = config();
        return new DnsConfig(c.zone(), c.bind(), c.serviceNames(), targets, c.nameserverAddresses(), zoneFile,
                c.answerTtlSeconds(), c.maxAnswers(), c.healthInterval(), c.failuresToMarkDown(), locator);
    }

    /** A target of weight 1 whose health is this extension's {@link FakeReadyz} for {@code id}. */
    DnsTarget target(String id, InetAddress address, String province, String carrier) {
        return new DnsTarget(id, address, province, carrier, 1, readyz.url(id));
    }

    DnsServer start() throws IOException, InterruptedException {
        return start(config());
    }

    DnsServer start(DnsConfig config) throws IOException, InterruptedException {
        DnsServer server = DnsServer.start(config, loops, registry);
        started.add(server);
        return server;
    }

    EventLoops loops() {
        return loops;
    }

    FakeReadyz readyz() {
        return readyz;
    }

    Path dir() {
        return dir;
    }

    static SimpleResolver resolver(DnsServer server, boolean tcp) {
        SimpleResolver resolver = new SimpleResolver(tcp ? server.tcpAddress() : server.udpAddress());
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(2));
        return resolver;
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
