package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code yunjing proxy} with bad options: exit 2 and a message naming the option, nothing started. */
class ProxyCommandTest {

    private static final String READYZ = "http://127.0.0.1:9/readyz";

    private static void assertUsage(String expectedInErr, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(2, code, "exit code; err: " + err);
        assertTrue(err.toString().contains(expectedInErr), "err names the problem: " + err);
        assertEquals("", out.toString(), "nothing on stdout");
    }

    @Test
    void badOptions_exit2() {
        assertUsage("--parent", "proxy", "--listen", "127.0.0.1:0", "--parent-readyz", READYZ);
        assertUsage("--listen: 8080", "proxy", "--listen", "8080", "--parent", "127.0.0.1:9", "--parent-readyz", READYZ);
        assertUsage("--parent: port 0", "proxy", "--listen", "127.0.0.1:0", "--parent", "127.0.0.1:0",
                "--parent-readyz", READYZ);
        assertUsage("--listen: 127.0.0.1:http", "proxy", "--listen", "127.0.0.1:http", "--parent", "127.0.0.1:9",
                "--parent-readyz", READYZ);
        assertUsage("--parent-readyz", "proxy", "--listen", "127.0.0.1:0", "--parent", "127.0.0.1:9",
                "--parent-readyz", "127.0.0.1:9/readyz");
        assertUsage("nodeId", "proxy", "--listen", "127.0.0.1:0", "--parent", "127.0.0.1:9", "--parent-readyz", READYZ,
                "--id", "a b");
    }
}
