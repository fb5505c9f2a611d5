package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code yunjing bench}: usage and errors (the run itself is covered by E2eScenarioTest). */
class BenchCommandTest {

    private static int run(StringWriter out, StringWriter err, String... args) {
        return YunjingCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void e2eHelp_describesQuickAndOut() {
        StringWriter out = new StringWriter();
        assertEquals(0, run(out, new StringWriter(), "bench", "e2e", "--help"));
        assertTrue(out.toString().contains("--quick") && out.toString().contains("--out"), out.toString());
    }

    @Test
    void benchWithoutABenchmark_exits2WithAHint() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(new StringWriter(), err, "bench"));
        assertTrue(err.toString().contains("yunjing bench e2e --quick"), err.toString());
    }

    @Test
    void badTopology_exits2() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(new StringWriter(), err, "bench", "e2e", "--quick", "--topology", "/nonexistent/topo.yaml"));
        assertTrue(err.toString().contains("topo.yaml"), err.toString());
    }
}
