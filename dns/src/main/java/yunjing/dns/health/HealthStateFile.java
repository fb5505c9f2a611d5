package yunjing.dns.health;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The health state kept across restarts: one line per target, {@code ID up|down [draining]}, with
 * {@code #} comments. Written whole to {@code FILE.tmp} and renamed over {@code FILE}, so a crash
 * mid-write leaves the previous state, never half a file. Not thread-safe: the health thread owns it.
 */
final class HealthStateFile {

    private static final System.Logger LOG = System.getLogger(HealthStateFile.class.getName());

    record Saved(boolean down, boolean draining) {
    }

    private final Path file;

    HealthStateFile(Path file) {
        this.file = file;
    }

    /** The saved states; empty when the file is missing, or unreadable or malformed (logged). */
    Map<String, Saved> read() {
        Map<String, Saved> out = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "reading dns health state " + file + " failed; starting with none", e);
            return out;
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            boolean ok = (f.length == 2 || f.length == 3 && f[2].equals("draining"))
                    && (f[1].equals("up") || f[1].equals("down"));
            if (!ok) {
                LOG.log(Level.WARNING, file + ":" + (i + 1) + ": " + line
                        + " (expected: ID up|down [draining]); starting with no saved state");
                return new LinkedHashMap<>();
            }
            out.put(f[0], new Saved(f[1].equals("down"), f.length == 3));
        }
        return out;
    }

    void write(Map<String, Saved> states) throws IOException {
        StringBuilder text = new StringBuilder("# yunjing dns health state: ID up|down [draining]\n");
        states.forEach((id, s) -> text.append(id).append(s.down() ? " down" : " up")
                .append(s.draining() ? " draining" : "").append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
