package yunjing.deploy.peers;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code dig} (bind9-dnsutils) as a test peer. {@code .ci/run} installs it, so in CI
 * (CI=true) a missing dig fails the test; on a developer machine without it the test is skipped.
 */
public final class DigPeer {
    private DigPeer() {
    }

    public static boolean available() {
        try {
            Process p = new ProcessBuilder("dig", "-v").redirectErrorStream(true).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    public static void requireOrSkip() {
        if (!available()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("dig is not installed: .ci/run installs bind9-dnsutils");
            }
            Assumptions.abort("dig not installed (apt-get install bind9-dnsutils)");
        }
    }

    public static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("dig", "+time=2", "+tries=1"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("dig did not finish: " + command);
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
