package yunjing.dns.wire;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import yunjing.common.net.EventLoops;
import yunjing.dns.DnsTarget;
import yunjing.dns.answer.Responder;
import yunjing.dns.steer.HealthWeightedPolicy;
import yunjing.dns.testing.TestZone;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/**
 * The listeners serve UDP with batched native I/O where it loaded, and over Netty when asked
 * ({@value DnsListeners#UDP_IO_PROPERTY}{@code =netty}) or where it did not: both answer the same.
 */
class UdpIoTest {

    private static EventLoops loops;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create(2, "udp-io-test");
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @Test
    void byDefault_batchedWhereAvailable() throws Exception {
        try (DnsListeners listeners = bind()) {
            assertEquals(MmsgSocket.isAvailable() ? "recvmmsg" : "netty-" + loops.transport(), listeners.udpIo());
            assertAnswers(listeners);
        }
    }

    @Test
    void nettyWhenAsked_answersTheSame_andClosesCleanly() throws Exception {
        System.setProperty(DnsListeners.UDP_IO_PROPERTY, "netty");
        DnsListeners listeners;
        try {
            listeners = bind();
        } finally {
            System.clearProperty(DnsListeners.UDP_IO_PROPERTY);
        }
        try (listeners) {
            assertEquals("netty-" + loops.transport(), listeners.udpIo());
            assertAnswers(listeners);
            assertTrue(listeners.isActive());
        }
        assertFalse(listeners.isActive());
    }

    private DnsListeners bind() throws Exception {
        List<DnsTarget> targets = List.of(new DnsTarget("a", InetAddress.getByName("192.0.2.41"), null, null, 1, null));
        Responder responder = new Responder(TestZone.load(dir), new HealthWeightedPolicy(targets, id -> true, 30, 2));
        return DnsListeners.bind(new InetSocketAddress("127.0.0.1", 0), loops, () -> responder,
                registry, Duration.ofSeconds(5), Protection.DEFAULT, 0);
    }

    private void assertAnswers(DnsListeners listeners) throws Exception {
        SimpleResolver resolver = new SimpleResolver(listeners.udpAddress());
        resolver.setTimeout(Duration.ofSeconds(5));
        Message response = resolver.send(Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN)));
        assertEquals(Rcode.NOERROR, response.getRcode());
        assertEquals("192.0.2.41", response.getSection(org.xbill.DNS.Section.ANSWER).get(0).rdataToString());
        assertEquals(1.0, registry.get("yunjing.dns.queries").tag("transport", "udp").counter().count(), "over UDP");
    }
}
