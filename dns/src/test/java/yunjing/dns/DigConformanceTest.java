package yunjing.dns;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.dns.testing.Await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Conformance with a real peer: ISC {@code dig} (bind9-dnsutils) run as a subprocess against a
 * server on 127.0.0.1:0, asserting on the header, flags and sections that dig prints. Where
 * {@code dig} is missing the class is skipped, except in CI ({@code CI=true}), where it fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DigConformanceTest {

    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern HEADER = Pattern.compile(";; ->>HEADER<<- opcode: (\\w+), status: (\\w+), id: \\d+");
    private static final Pattern FLAGS = Pattern.compile(
            ";; flags:([a-z ]*); QUERY: (\\d+), ANSWER: (\\d+), AUTHORITY: (\\d+), ADDITIONAL: (\\d+)");

    @RegisterExtension
    static final DnsServerExtension dns = new DnsServerExtension();

    private static String dig;

    @BeforeAll
    static void findDig() {
        dig = locateDig();
        if (dig == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("dig not found on PATH (install bind9-dnsutils); it is required when CI=true");
            }
            Assumptions.abort("dig not found on PATH; skipping dig conformance tests");
        }
    }

    private static String locateDig() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "dig");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /** What dig printed, parsed into the parts the tests look at. */
    record DigResult(String text, String status, List<String> flags, int answer, int authority, int additional) {

        boolean flag(String f) {
            return flags.contains(f);
        }

        /** The lines of one section ({@code ANSWER}, {@code AUTHORITY}, …), records only. */
        List<String> section(String name) {
            List<String> out = new ArrayList<>();
            boolean in = false;
            for (String line : text.split("\n")) {
                if (line.startsWith(";; " + name + " SECTION:")) {
                    in = true;
                } else if (in && (line.isBlank() || line.startsWith(";;"))) {
                    in = false;
                } else if (in) {
                    out.add(line);
                }
            }
            return out;
        }
    }

    private static DigResult dig(DnsServer server, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(dig, "@127.0.0.1", "-p",
                Integer.toString(server.udpAddress().getPort()), "+time=2", "+tries=1", "+retry=0"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail("dig did not finish within " + PROCESS_TIMEOUT + ": " + command);
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "dig exit status; output:\n" + text);
        Matcher h = HEADER.matcher(text);
        Matcher f = FLAGS.matcher(text);
        assertTrue(h.find() && f.find(), () -> "no header in dig output:\n" + text);
        assertEquals("QUERY", h.group(1));
        return new DigResult(text, h.group(2), List.of(f.group(1).trim().split(" +")),
                Integer.parseInt(f.group(3)), Integer.parseInt(f.group(4)), Integer.parseInt(f.group(5)));
    }

    private static DnsServer startReady() throws Exception {
        DnsServer server = dns.start();
        Await.until("ready", Duration.ofSeconds(5), server::isReady);
        return server;
    }

    @Test
    void udpA_answersTheSteeredNameAuthoritatively() throws Exception {
        DigResult r = dig(startReady(), "api.mirror.test.", "A");
        assertEquals("NOERROR", r.status());
        assertTrue(r.flag("qr") && r.flag("aa") && r.flag("rd"), r.text());
        assertFalse(r.flag("ra"), r.text());
        assertEquals(2, r.answer(), r.text());
        for (String line : r.section("ANSWER")) {
            assertTrue(line.matches("api\\.mirror\\.test\\.\\s+30\\s+IN\\s+A\\s+127\\.0\\.0\\.4[123]"), line);
        }
    }

    @Test
    void tcpA_answersTheSameOverTcp() throws Exception {
        DigResult r = dig(startReady(), "+tcp", "api.mirror.test.", "A");
        assertEquals("NOERROR", r.status());
        assertEquals(2, r.answer(), r.text());
        assertTrue(r.text().contains("(TCP)"), r.text());
    }

    @Test
    void norec_clearsRdAndNeverSetsRa() throws Exception {
        DigResult r = dig(startReady(), "+norec", "static.mirror.test.", "A");
        assertEquals("NOERROR", r.status());
        assertTrue(r.flag("aa"), r.text());
        assertFalse(r.flag("rd"), r.text());
        assertFalse(r.flag("ra"), r.text());
        assertEquals(List.of("static.mirror.test.\t300\tIN\tA\t192.0.2.7"), r.section("ANSWER"));
    }

    @Test
    void subnet_echoesTheClientSubnetWithAScope() throws Exception {
        DigResult r = dig(startReady(), "+subnet=10.1.2.3/24", "api.mirror.test.", "A");
        assertEquals("NOERROR", r.status());
        // Health-only steering does not depend on the client: scope 0 (RFC 7871 section 7.2.1).
        assertTrue(r.text().contains("; CLIENT-SUBNET: 10.1.2.0/24/0"), r.text());
        assertTrue(r.text().contains("; EDNS: version: 0"), r.text());
        assertTrue(r.text().contains("udp: 1232"), r.text());
    }

    @Test
    void nonexistentName_isNxdomainWithTheSoa() throws Exception {
        DigResult r = dig(startReady(), "nope.mirror.test.", "A");
        assertEquals("NXDOMAIN", r.status());
        assertTrue(r.flag("aa"), r.text());
        assertEquals(0, r.answer());
        List<String> authority = r.section("AUTHORITY");
        assertEquals(1, authority.size(), r.text());
        assertTrue(authority.get(0).matches("mirror\\.test\\.\\s+30\\s+IN\\s+SOA\\s+ns1\\.mirror\\.test\\. "
                + "hostmaster\\.mirror\\.test\\. \\d+ 3600 600 1209600 30"), authority.get(0));
    }

    @Test
    void outOfZone_isRefused() throws Exception {
        DigResult r = dig(startReady(), "example.com.", "A");
        assertEquals("REFUSED", r.status());
        assertEquals(0, r.answer());
        assertFalse(r.flag("ra"), r.text());
    }

    @Test
    void any_getsTheRfc8482MinimalAnswer() throws Exception {
        DigResult r = dig(startReady(), "static.mirror.test.", "ANY");
        assertEquals("NOERROR", r.status());
        List<String> answer = r.section("ANSWER");
        assertEquals(1, answer.size(), r.text());
        assertTrue(answer.get(0).matches("static\\.mirror\\.test\\.\\s+\\d+\\s+IN\\s+HINFO\\s+\"RFC8482\" \"\""),
                answer.get(0));
    }

    @Test
    void bigAnswer_truncatesOverUdpAndSucceedsOverTcp() throws Exception {
        DnsServer server = startReady();
        DigResult udp = dig(server, "+bufsize=512", "+ignore", "big.mirror.test.", "TXT");
        assertTrue(udp.flag("tc"), udp.text());
        assertEquals(0, udp.answer(), udp.text());
        DigResult tcp = dig(server, "+tcp", "big.mirror.test.", "TXT");
        assertFalse(tcp.flag("tc"), tcp.text());
        assertEquals("NOERROR", tcp.status());
        assertEquals(1, tcp.answer(), tcp.text());
        assertTrue(tcp.section("ANSWER").get(0).contains("x".repeat(250)), tcp.text());
    }
}
