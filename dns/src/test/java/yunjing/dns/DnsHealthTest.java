package yunjing.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.testing.Await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.DnsServerExtension.address;
import static yunjing.dns.DnsServerExtension.resolver;
import static yunjing.dns.testing.TestZone.name;

/** Health on a real server: hysteresis up, draining, the short TTL while health changes, the state file. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DnsHealthTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final InetAddress T1 = address("127.0.0.41");
    private static final InetAddress T2 = address("127.0.0.42");

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    /** The extension's config (50 ms rounds, down after 3) with these successes-to-up and state file. */
    private static DnsConfig config(int successesToMarkUp, Path stateFile) {
        DnsConfig c = dns.config();
        return new DnsConfig(c.zone(), c.bind(), c.serviceNames(), c.targets(), c.nameserverAddresses(), c.zoneFile(),
                c.answerTtlSeconds(), c.maxAnswers(), c.healthInterval(), c.failuresToMarkDown(), c.locator(),
                successesToMarkUp, stateFile, 0, 0, 0);
    }

    private static DnsServer startReady(DnsConfig config) throws Exception {
        DnsServer server = dns.start(config);
        Await.until("ready", WAIT, server::isReady);
        return server;
    }

    private static Message ask(DnsServer server) {
        try {
            return resolver(server, false).send(Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A,
                    DClass.IN)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Addresses seen over enough queries to go round the three targets. */
    private static Set<InetAddress> seen(DnsServer server) {
        Set<InetAddress> out = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            for (Record r : ask(server).getSection(Section.ANSWER)) {
                out.add(((ARecord) r).getAddress());
            }
        }
        return out;
    }

    @Test
    void drainedTargetLeavesAnswersAtOnceAndReturnsWhenUndrained() throws Exception {
        DnsServer server = startReady(config(0, null));
        assertTrue(seen(server).contains(T1));
        assertTrue(server.drain("t1", true));
        assertFalse(server.drain("t1", true), "already draining");
        assertFalse(seen(server).contains(T1), "no wait for a probe round");
        assertEquals(false, server.targetHealth().get("t1"));
        assertTrue(server.drain("t1", false));
        assertTrue(seen(server).contains(T1));
    }

    @Test
    void drainingAnUnknownTargetIsAnError() throws Exception {
        DnsServer server = startReady(config(0, null));
        assertThrows(IllegalArgumentException.class, () -> server.drain("nobody", true));
    }

    @Test
    void downTargetNeedsTheConfiguredSuccessesToComeBackAndAnswersAreShortMeanwhile() throws Exception {
        // 100 successes × 50 ms: the target stays down for 5 s after it recovers, and TTLs stay short.
        DnsServer server = startReady(config(100, null));
        dns.readyz().set("t2", 503);
        Await.until("t2 down", WAIT, () -> !server.targetHealth().get("t2"));
        dns.readyz().set("t2", 200);
        int hits = dns.readyz().hits("t2");
        Await.until("a few successful probes", WAIT, () -> dns.readyz().hits("t2") >= hits + 4);
        assertFalse(server.targetHealth().get("t2"), "4 successes of 100");
        assertFalse(seen(server).contains(T2));
        assertEquals(5, ask(server).getSection(Section.ANSWER).get(0).getTTL(), "health changed recently");
    }

    @Test
    void twoSuccessesByDefaultBringATargetBack() throws Exception {
        DnsServer server = startReady(config(0, null));
        dns.readyz().set("t2", 503);
        Await.until("t2 down", WAIT, () -> !server.targetHealth().get("t2"));
        dns.readyz().set("t2", 200);
        Await.until("t2 up", WAIT, () -> server.targetHealth().get("t2"));
        Await.until("settled TTL", WAIT, () -> ask(server).getSection(Section.ANSWER).get(0).getTTL() == 30);
        assertTrue(seen(server).contains(T2));
    }

    @Test
    void stateFileCarriesDownAndDrainingAcrossARestart() throws Exception {
        Path state = Files.createTempDirectory(dns.dir(), "state").resolve("health.state");
        DnsServer first = startReady(config(100, state));
        first.drain("t1", true);
        dns.readyz().set("t2", 503);
        Await.until("t2 down", WAIT, () -> !first.targetHealth().get("t2"));
        Await.until("state written", WAIT, () -> read(state).contains("t2 down") && read(state).contains("t1 up draining"));
        assertFalse(Files.exists(state.resolveSibling("health.state.tmp")), "temp file renamed");
        first.close();

        dns.readyz().set("t2", 200); // healthy again, but one probe is 1 of the 100 successes needed
        DnsServer second = dns.start(config(100, state));
        assertEquals(Map.of("t1", false, "t2", false, "t3", true), Map.copyOf(second.targetHealth()),
                "before any probe");
        Await.until("ready", WAIT, second::isReady);
        assertEquals(Set.of(address("127.0.0.43")), seen(second));
    }

    @Test
    void unreadableStateFileStartsFresh() throws Exception {
        Path state = Files.createTempDirectory(dns.dir(), "bad").resolve("health.state");
        Files.writeString(state, "t1 sideways\n");
        DnsServer server = startReady(config(0, state));
        assertEquals(Map.of("t1", true, "t2", true, "t3", true), Map.copyOf(server.targetHealth()));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
