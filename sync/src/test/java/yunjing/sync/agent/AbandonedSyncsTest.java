package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AbandonedSyncsTest {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path tmp;

    /** A leftover directory with one file, every time set {@code age} before now. */
    private Path leftover(String name, Duration age) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path file = Files.writeString(dir.resolve("weights.bin.part"), "x");
        FileTime t = FileTime.from(NOW.minus(age));
        Files.setLastModifiedTime(file, t);
        Files.setLastModifiedTime(dir, t);
        return dir;
    }

    @Test
    void idleLeftoversOfOtherRevisionsGo_activeAndCurrentOnesStay() throws Exception {
        Path oldStaged = leftover("agent-aaa", Duration.ofDays(3));
        Path oldParts = leftover("agent-aaa.parts", Duration.ofDays(3));
        Path recent = leftover("agent-bbb.parts", Duration.ofHours(1));
        Path current = leftover("agent-ccc.parts", Duration.ofDays(9));
        Path notOurs = leftover("publish-ddd", Duration.ofDays(9));
        // A directory whose own time is old but a file inside was written a minute ago: a sync is running.
        Path running = leftover("agent-eee.parts", Duration.ofDays(2));
        Files.setLastModifiedTime(Files.writeString(running.resolve("other.part"), "y"),
                FileTime.from(NOW.minusSeconds(60)));

        assertEquals(2, AbandonedSyncs.sweep(tmp, "ccc", AbandonedSyncs.MAX_IDLE, CLOCK));

        assertFalse(Files.exists(oldStaged));
        assertFalse(Files.exists(oldParts));
        assertTrue(Files.exists(recent.resolve("weights.bin.part")), "resumable within the idle time");
        assertTrue(Files.exists(current), "the revision being synced is never swept");
        assertTrue(Files.exists(notOurs), "only agent-* leftovers are the agent's to remove");
        assertTrue(Files.exists(running));
        assertEquals(0, AbandonedSyncs.sweep(tmp, "ccc", AbandonedSyncs.MAX_IDLE, CLOCK), "idempotent");
    }
}
