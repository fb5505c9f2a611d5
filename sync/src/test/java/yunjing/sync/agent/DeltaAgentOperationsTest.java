package yunjing.sync.agent;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's operational side: concurrent fetches, bandwidth limit, trusted reuse, metrics and progress. */
class DeltaAgentOperationsTest extends AbstractSignedOriginTest {

    private static final String REPO = "yunjing/ops";

    DeltaAgentOperationsTest() {
        super(21);
    }

    private byte[] publish(byte[] model) throws IOException {
        return publishModel(REPO, model);
    }

    /** Twelve 100-byte edits spread over the file: twelve separate chunk runs to fetch. */
    private static byte[] edited(byte[] model) {
        byte[] b = model.clone();
        for (int i = 1; i <= 12; i++) {
            int at = i * (b.length / 13) + 333 * i;
            for (int j = 0; j < 100; j++) {
                b[at + j] ^= (byte) 0x5a;
            }
        }
        return b;
    }

    private DeltaAgent.Builder agent(ArtifactStore store) {
        return DeltaAgent.builder(store, verifier, new HttpChunkSource(client, server.uri(), Duration.ofSeconds(10)));
    }

    private void assertActive(ArtifactStore replica, byte[] model) throws IOException {
        Revision active = replica.resolve(REPO, "main");
        assertTrue(active.verify(true).isEmpty(), active.verify(true).toString());
        assertArrayEquals(model, Files.readAllBytes(active.directory().resolve("model.bin")));
    }

    @Test
    void concurrency_overlapsRangeRequestsUpToTheLimit_andBuildsTheSameFile() throws Exception {
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        agent(replica).build().sync(REPO, "main", publish(modelA));
        byte[] modelB = edited(modelA);
        byte[] manifestB = publish(modelB);
        server.delayMillis = 150;
        server.maxInFlight.set(0);

        SyncStats stats = agent(replica).concurrency(4).build().sync(REPO, "main", manifestB).stats();

        assertTrue(stats.requests() >= 12, "one request per run of missing chunks: " + stats);
        assertEquals(4, server.maxInFlight.get(), "four requests in flight at once");
        assertActive(replica, modelB);
    }

    @Test
    void severalChangedFiles_areAssembledAtOnce_withinTheSameLimitOfRequestsInFlight() throws Exception {
        // Six shards, one small edit each: one file alone never has two requests in flight.
        Path v1 = Files.createDirectories(tmp.resolve("shards-v1"));
        Path v2 = Files.createDirectories(tmp.resolve("shards-v2"));
        Random random = new Random(3);
        for (int i = 0; i < 6; i++) {
            byte[] shard = new byte[400_000];
            random.nextBytes(shard);
            Files.write(v1.resolve("shard-" + i + ".bin"), shard);
            shard[200_000] ^= 1;
            Files.write(v2.resolve("shard-" + i + ".bin"), shard);
        }
        byte[] manifest1 = Files.readAllBytes(origin.publish(REPO, "main", v1).directory().resolve(Manifest.FILE_NAME));
        byte[] manifest2 = Files.readAllBytes(origin.publish(REPO, "main", v2).directory().resolve(Manifest.FILE_NAME));
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        agent(replica).build().sync(REPO, "main", manifest1);
        server.delayMillis = 150;
        server.maxInFlight.set(0);

        agent(replica).concurrency(3).build().sync(REPO, "main", manifest2);

        assertTrue(server.maxInFlight.get() >= 2, "files in parallel: " + server.maxInFlight.get() + " requests at once");
        assertTrue(server.maxInFlight.get() <= 3, "never more than the concurrency: " + server.maxInFlight.get());
        Revision active = replica.resolve(REPO, "main");
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(Files.readAllBytes(v2.resolve("shard-" + i + ".bin")),
                    Files.readAllBytes(active.directory().resolve("shard-" + i + ".bin")));
        }
        assertTrue(active.verify(true).isEmpty(), active.verify(true).toString());
    }

    @Test
    void concurrencyOne_makesOneRequestAtATime() throws Exception {
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        agent(replica).build().sync(REPO, "main", publish(modelA));
        byte[] modelB = edited(modelA);
        byte[] manifestB = publish(modelB);
        server.delayMillis = 20;
        server.maxInFlight.set(0);

        agent(replica).concurrency(1).build().sync(REPO, "main", manifestB);

        assertEquals(1, server.maxInFlight.get());
        assertActive(replica, modelB);
    }

    @Test
    void limitRate_keepsATransferNearTheLimit() throws Exception {
        byte[] small = new byte[2 << 20];
        new Random(5).nextBytes(small);
        byte[] manifest = publish(small);
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        long limit = 1 << 20;

        long t0 = System.nanoTime();
        SyncStats stats = agent(replica).limitRate(limit).concurrency(4).build().sync(REPO, "main", manifest).stats();
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertEquals(small.length, stats.bytesFetched());
        // 2 MiB at 1 MiB/s: 2 s less the 1/20 s burst; the upper bound leaves room for a slow machine.
        assertTrue(seconds >= 1.85 && seconds < 6, "2 MiB at 1 MiB/s took " + seconds + " s");
        assertActive(replica, small);
    }

    @Test
    void unchangedPreviousRevision_isCopiedUnread_andAFileTamperedBehindItsStampIsCaughtByTheWholeFileHash() throws Exception {
        byte[] manifestA = publish(modelA);
        byte[] modelB = edited(modelA);
        byte[] manifestB = publish(modelB);
        ArtifactStore control = new ArtifactStore(tmp.resolve("control"));
        agent(control).build().sync(REPO, "main", manifestA);
        assertTrue(Files.isRegularFile(control.root().resolve("agent").resolve(REPO).resolve("verified")
                .resolve(control.resolve(REPO, "main").id())), "the activated revision's files are stamped");
        SyncStats honest = agent(control).build().sync(REPO, "main", manifestB).stats();

        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        agent(replica).build().sync(REPO, "main", manifestA);
        // Damage the old file where B reuses it, keeping its size and mtime: the stamp still matches.
        Path old = replica.resolve(REPO, "main").directory().resolve("model.bin");
        FileTime mtime = Files.getLastModifiedTime(old);
        try (FileChannel ch = FileChannel.open(old, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 1000);
        }
        Files.setLastModifiedTime(old, mtime);

        SyncStats stats = agent(replica).build().sync(REPO, "main", manifestB).stats();

        assertActive(replica, modelB);
        assertTrue(stats.bytesFetched() > honest.bytesFetched(), "the damaged chunk was fetched: " + stats + " vs " + honest);
    }

    @Test
    void metrics_countWhatEachSyncMoved_andTheLagSincePublication() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        DeltaAgent agent = agent(replica).metrics(new SyncMetrics(registry)).build();
        Instant before = Instant.now();
        byte[] manifestA = publish(modelA);
        SyncStats first = agent.sync(REPO, "main", manifestA).stats();
        SyncStats second = agent.sync(REPO, "main", publish(edited(modelA))).stats();

        assertEquals(first.bytesFetched() + second.bytesFetched(),
                registry.get("yunjing.sync.bytes").tags("repo", REPO, "kind", "fetched").counter().count());
        assertEquals(second.bytesReused(), registry.get("yunjing.sync.bytes").tags("kind", "reused").counter().count());
        assertEquals(first.chunksFetched() + second.chunksFetched(),
                registry.get("yunjing.sync.chunks").tags("kind", "fetched").counter().count());
        assertEquals(0, registry.get("yunjing.sync.verify.failures").counter().count());
        assertEquals(2, registry.get("yunjing.sync.syncs").tags("outcome", "activated").counter().count());
        double lag = registry.get("yunjing.sync.lag.seconds").tags("repo", REPO).gauge().value();
        assertTrue(lag >= 0 && lag <= Duration.between(before, Instant.now()).toMillis() / 1000.0 + 0.001, "lag " + lag);

        assertThrows(ManifestRejectedException.class, () -> agent.sync(REPO, "main", manifestA));
        assertEquals(1, registry.get("yunjing.sync.syncs").tags("outcome", "refused").counter().count());
    }

    @Test
    void progress_reportsBytesDoneUpToTheTotal_andEndsWithAFinishedReport() throws Exception {
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        List<SyncProgress> reports = new CopyOnWriteArrayList<>();
        server.delayMillis = 30;

        agent(replica).maxRangeBytes(256 << 10).progress(reports::add, Duration.ofMillis(20)).build()
                .sync(REPO, "main", publish(modelA));

        SyncProgress last = reports.getLast();
        assertTrue(last.finished());
        assertEquals(MODEL_SIZE, last.bytesTotal());
        assertEquals(MODEL_SIZE, last.bytesDone());
        assertEquals(MODEL_SIZE, last.bytesFetched());
        assertTrue(reports.size() >= 3, "reports along the way: " + reports.size());
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i).bytesDone() >= reports.get(i - 1).bytesDone(), "bytes done never go back");
        }
        assertTrue(reports.stream().anyMatch(p -> p.bytesDone() > 0 && p.bytesDone() < MODEL_SIZE), "a report midway");
    }
}
