package yunjing.deploy.cli;

import org.junit.jupiter.api.Test;
import yunjing.sync.agent.SyncProgress;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PullProgressTest {

    private static final long MIB = 1 << 20;

    private static SyncProgress at(long done, long total, long fetched, long millis, boolean finished) {
        return new SyncProgress("acme/m", done, total, fetched, Duration.ofMillis(millis), finished);
    }

    @Test
    void bytes_useBinaryUnitsWithOneDecimal() {
        assertEquals("0 B", PullProgress.bytes(0));
        assertEquals("1023 B", PullProgress.bytes(1023));
        assertEquals("1.5 KiB", PullProgress.bytes(1536));
        assertEquals("256.0 MiB", PullProgress.bytes(256 * MIB));
        assertEquals("2.0 GiB", PullProgress.bytes(2048 * MIB));
    }

    @Test
    void clock_isMinutesAndSeconds_thenHours() {
        assertEquals("0:00", PullProgress.clock(0.2));
        assertEquals("1:05", PullProgress.clock(65));
        assertEquals("1:01:01", PullProgress.clock(3661));
    }

    @Test
    void summary_showsDoneOfTotal_rateFromElapsed_andEtaOfTheRest() {
        // 64 of 256 MiB in 2 s: 32 MiB/s, 192 MiB left: 6 s.
        assertEquals(" 25%  64.0 MiB / 256.0 MiB  32.0 MiB/s  ETA 0:06  fetched 1.0 MiB",
                PullProgress.summary(at(64 * MIB, 256 * MIB, MIB, 2000, false)));
        assertEquals("  0%  0 B / 256.0 MiB  0 B/s  ETA --:--  fetched 0 B", PullProgress.summary(at(0, 256 * MIB, 0, 0, false)));
        assertEquals("100%  256.0 MiB / 256.0 MiB  128.0 MiB/s  done in 0:02  fetched 3.0 MiB",
                PullProgress.summary(at(256 * MIB, 256 * MIB, 3 * MIB, 2000, true)));
    }

    @Test
    void bar_fillsInProportion() {
        assertTrue(PullProgress.bar(at(128 * MIB, 256 * MIB, 0, 1000, false))
                .startsWith("acme/m [############------------]  50%"));
    }

    @Test
    void terminal_redrawsOneLineWithCarriageReturns_andEndsItWhenFinished() {
        StringWriter out = new StringWriter();
        PullProgress progress = new PullProgress(new PrintWriter(out), true, Duration.ofSeconds(5));
        progress.onProgress(at(10 * MIB, 256 * MIB, 0, 1000, false));
        progress.onProgress(at(256 * MIB, 256 * MIB, 0, 2000, true));

        String text = out.toString();
        assertEquals(2, text.chars().filter(c -> c == '\r').count());
        assertTrue(text.endsWith("\n"));
        assertEquals(1, text.chars().filter(c -> c == '\n').count(), "one line in all");
    }

    @Test
    void notATerminal_logsPlainLinesAtMostEveryInterval_andTheLastOne() {
        StringWriter out = new StringWriter();
        PullProgress progress = new PullProgress(new PrintWriter(out), false, Duration.ofSeconds(5));
        progress.onProgress(at(1, 100, 0, 0, false));
        progress.onProgress(at(2, 100, 0, 1000, false));    // within 5 s of the last line: skipped
        progress.onProgress(at(50, 100, 0, 5000, false));
        progress.onProgress(at(100, 100, 0, 5500, true));   // the end is always logged

        String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, out.toString());
        for (String line : lines) {
            assertTrue(line.startsWith("yunjing sync: "), line);
            assertFalse(line.contains("\r"));
        }
        assertTrue(lines[2].contains("done in 0:06"), lines[2]);
    }
}
