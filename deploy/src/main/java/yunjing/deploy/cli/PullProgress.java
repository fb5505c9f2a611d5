package yunjing.deploy.cli;

import yunjing.sync.agent.SyncProgress;

import java.io.Console;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows {@code yunjing sync pull}'s progress on stderr: in a terminal, one line redrawn in place
 * with {@code \r} (a bar, bytes done of total, rate, ETA, bytes fetched); otherwise a plain log line
 * every {@code logEvery} and at the end, so logs stay readable.
 *
 * <p>Called from the agent's progress thread only.
 */
final class PullProgress implements SyncProgress.Listener {

    private static final int BAR = 24;

    private final PrintWriter err;
    private final boolean terminal;
    private final Duration logEvery;
    private Duration lastLogged;
    private int lastWidth;

    PullProgress(PrintWriter err, boolean terminal, Duration logEvery) {
        this.err = err;
        this.terminal = terminal;
        this.logEvery = logEvery;
    }

    /** True when stderr is an interactive terminal (System.console() is null when not; Console.isTerminal() on JDK 22+ says). */
    static boolean interactive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException olderJdk) {
            return true; // JDK 21 returns a console only for a terminal
        }
    }

    @Override
    public void onProgress(SyncProgress p) {
        if (terminal) {
            String line = bar(p);
            // Pad over what is left of a longer previous line.
            err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())) + (p.finished() ? "\n" : ""));
            lastWidth = line.length();
            err.flush();
        } else if (p.finished() || lastLogged == null || p.elapsed().minus(lastLogged).compareTo(logEvery) >= 0) {
            lastLogged = p.elapsed();
            err.println("yunjing sync: " + summary(p));
            err.flush();
        }
    }

    /** The terminal line: {@code repo [#####-----]  42%  …}. */
    static String bar(SyncProgress p) {
        int filled = (int) (BAR * fraction(p));
        return p.repo() + " [" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + summary(p);
    }

    /** {@code 42%  107.5 MiB / 256.0 MiB  61.2 MiB/s  ETA 0:02  fetched 1.3 MiB}; "done in" once finished. */
    static String summary(SyncProgress p) {
        double seconds = p.elapsed().toNanos() / 1e9;
        double rate = seconds > 0 ? p.bytesDone() / seconds : 0;
        String eta;
        if (p.finished()) {
            eta = "done in " + clock(seconds);
        } else if (rate <= 0) {
            eta = "ETA --:--";
        } else {
            eta = "ETA " + clock((p.bytesTotal() - p.bytesDone()) / rate);
        }
        return String.format(Locale.ROOT, "%3d%%  %s / %s  %s/s  %s  fetched %s", Math.round(100 * fraction(p)),
                bytes(p.bytesDone()), bytes(p.bytesTotal()), bytes((long) rate), eta, bytes(p.bytesFetched()));
    }

    private static double fraction(SyncProgress p) {
        return p.bytesTotal() <= 0 ? 1.0 : Math.min(1.0, (double) p.bytesDone() / p.bytesTotal());
    }

    /** Binary units, one decimal: {@code 512 B}, {@code 1.5 KiB}, {@code 256.0 MiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
