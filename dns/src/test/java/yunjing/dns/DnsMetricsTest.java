package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import yunjing.dns.testing.Await;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static yunjing.dns.testing.TestZone.name;

/** The operation meters: queries by name, health states per target, the RTT table size. */
class DnsMetricsTest {

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    private double names(String tag) {
        var c = dns.registry.find("yunjing.dns.names").tag("name", tag).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void namesOfTheZone_areCountedByName_othersByOutcome() throws Exception {
        DnsServer server = dns.start();
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        double api = names("api.mirror.test."), nx = names("(nxdomain)"), refused = names("(refused)");
        for (String q : new String[] {"API.mirror.test.", "api.mirror.test.", "random-1.mirror.test.", "example.org."}) {
            DnsServerExtension.resolver(server, false).send(Message.newQuery(Record.newRecord(name(q), Type.A, DClass.IN)));
        }
        assertEquals(api + 2, names("api.mirror.test."), "case-insensitive, one counter");
        assertEquals(nx + 1, names("(nxdomain)"));
        assertEquals(refused + 1, names("(refused)"));
    }

    @Test
    void healthStates_andRttTableSize_areGauges() throws Exception {
        DnsServer server = dns.start();
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        Await.until("t1 up", Duration.ofSeconds(5), () -> dns.registry.find("yunjing.dns.target.state")
                .tag("target", "t1").tag("state", "up").gauge().value() == 1);
        server.drain("t2", true);
        assertEquals(1, dns.registry.find("yunjing.dns.target.state").tag("target", "t2").tag("state", "draining")
                .gauge().value());
        assertEquals(0, dns.registry.find("yunjing.dns.target.state").tag("target", "t2").tag("state", "up")
                .gauge().value());
        server.reportRtt(RttReport.parse("[{\"node\":\"t1\",\"client\":\"192.0.2.0/24\",\"rtt_ms\":3}]"));
        var size = dns.registry.find("yunjing.dns.rtt.entries").gauge();
        assertNotNull(size);
        assertEquals(1, size.value(), "no locator: the block scope only");
    }
}
