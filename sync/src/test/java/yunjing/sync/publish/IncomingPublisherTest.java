package yunjing.sync.publish;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IncomingPublisherTest {

    private static final Duration SETTLE = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    /** A clock the test moves by hand, so "settled" never depends on the machine's speed. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-22T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void scan_publishesOnlyAfterFilesStayUnchangedForTheSettlePeriod() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path incoming = tmp.resolve("incoming");
        Path repo = Files.createDirectories(incoming.resolve("yunjing/fresh"));
        ManualClock clock = new ManualClock();
        IncomingPublisher publisher = IncomingPublisher.builder(store, incoming).settle(SETTLE).clock(clock).build();

        Files.write(repo.resolve("model.bin"), new byte[1000]);
        assertTrue(publisher.scan().isEmpty(), "first sight starts the settle period");
        clock.advance(SETTLE.minusSeconds(1));
        assertTrue(publisher.scan().isEmpty(), "not settled yet");

        Files.write(repo.resolve("model.bin"), new byte[500], StandardOpenOption.APPEND); // still being written
        clock.advance(Duration.ofSeconds(5));
        assertTrue(publisher.scan().isEmpty(), "a change restarts the settle period");
        clock.advance(SETTLE.minusSeconds(1));
        assertTrue(publisher.scan().isEmpty());
        clock.advance(Duration.ofSeconds(1));
        List<Revision> published = publisher.scan();
        assertEquals(1, published.size());
        assertEquals(1500, Files.size(published.get(0).directory().resolve("model.bin")));
        assertEquals(published.get(0).id(), store.resolve("yunjing/fresh", "main").id());

        clock.advance(SETTLE.multipliedBy(3));
        assertTrue(publisher.scan().isEmpty(), "unchanged files are not published again");
    }

    @Test
    void scan_ignoresFilesStillUnderATemporaryName() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path incoming = tmp.resolve("incoming");
        Path repo = Files.createDirectories(incoming.resolve("yunjing/partial"));
        ManualClock clock = new ManualClock();
        IncomingPublisher publisher = IncomingPublisher.builder(store, incoming).settle(SETTLE).clock(clock).build();

        Files.write(repo.resolve("model.bin.part"), new byte[10]);
        Files.write(repo.resolve(".config.json.tmp"), new byte[10]);
        publisher.scan();
        clock.advance(SETTLE);
        assertTrue(publisher.scan().isEmpty(), "nothing but temporary names: nothing to publish");
        assertFalse(store.hasRef("yunjing/partial", "main"));

        Files.move(repo.resolve("model.bin.part"), repo.resolve("model.bin"));
        publisher.scan();
        clock.advance(SETTLE);
        Revision r = publisher.scan().get(0);
        assertEquals(1, r.manifest().entries().size());
        assertEquals("model.bin", r.manifest().entries().get(0).path());
    }

    @Test
    void scan_badRepositoryName_isNotRetriedUntilItsFilesChange() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path incoming = tmp.resolve("incoming");
        Path repo = Files.createDirectories(incoming.resolve("yunjing/-bad"));
        ManualClock clock = new ManualClock();
        IncomingPublisher publisher = IncomingPublisher.builder(store, incoming).settle(SETTLE).clock(clock).build();
        Files.write(repo.resolve("a.bin"), new byte[3]);
        publisher.scan();
        clock.advance(SETTLE);
        assertTrue(publisher.scan().isEmpty());
        clock.advance(SETTLE);
        assertTrue(publisher.scan().isEmpty());
    }

    @Test
    void watcher_publishesADroppedRepositoryOnItsOwn() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path incoming = tmp.resolve("incoming");
        LinkedBlockingQueue<Revision> published = new LinkedBlockingQueue<>();
        try (IncomingPublisher publisher = IncomingPublisher.builder(store, incoming)
                .settle(Duration.ofMillis(300)).rescanInterval(Duration.ofSeconds(2))
                .onPublish(published::add).build().start()) {
            // Created after start: the watch registers the new directories, the rescan backs it up.
            Path repo = Files.createDirectories(incoming.resolve("yunjing/dropped/sub"));
            Files.writeString(repo.resolve("config.json"), "{}");
            Files.write(repo.getParent().resolve("model.bin"), new byte[4096]);
            Revision r = published.poll(30, TimeUnit.SECONDS);
            assertNotNull(r, "published within 30 s");
            assertEquals("yunjing/dropped", r.repo());
            assertEquals(2, store.resolve("yunjing/dropped", "main").manifest().entries().size());

            Files.write(repo.getParent().resolve("model.bin"), new byte[8192]);
            Revision second = published.poll(30, TimeUnit.SECONDS);
            assertNotNull(second, "a change is published again");
            assertEquals(8192, store.resolve("yunjing/dropped", "main").manifest().entry("model.bin").size());
        }
    }
}
