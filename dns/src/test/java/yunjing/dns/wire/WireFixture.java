package yunjing.dns.wire;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import yunjing.dns.DnsTarget;
import yunjing.dns.answer.Responder;
import yunjing.dns.steer.HealthWeightedPolicy;
import yunjing.dns.testing.TestZone;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/** A processor over the test zone with two always-healthy IPv4 targets, and its meters. */
final class WireFixture {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final QueryMetrics metrics = new QueryMetrics(registry);
    final QueryProcessor processor;

    WireFixture(Path dir) {
        try {
            List<DnsTarget> targets = List.of(
                    new DnsTarget("a", InetAddress.getByName("192.0.2.41"), null, null, 1, null),
                    new DnsTarget("b", InetAddress.getByName("192.0.2.42"), null, null, 1, null));
            processor = new QueryProcessor(new Responder(TestZone.load(dir),
                    new HealthWeightedPolicy(targets, id -> true, 30, 2)), metrics);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
