package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent against a real origin store served over loopback HTTP with Range support. */
class DeltaAgentTest extends AbstractSignedOriginTest {

    private static final String REPO = "yunjing/tiny";

    DeltaAgentTest() {
        super(11);
    }

    /** Publishes {@code model} (plus a config) and returns the signed manifest as served. */
    private byte[] publish(byte[] model, String config, Path... extra) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src-" + System.nanoTime()));
        Files.write(src.resolve("model.bin"), model);
        Files.writeString(src.resolve("config.json"), config);
        for (Path p : extra) {
            Files.copy(p, src.resolve(p.getFileName()));
        }
        Revision rev = origin.publish(REPO, "main", src);
        return Files.readAllBytes(rev.directory().resolve(Manifest.FILE_NAME));
    }

    private static byte[] edited(byte[] model) {
        byte[] b = model.clone();
        for (int i = 1; i <= 6; i++) {
            int at = i * (b.length / 7) + 777 * i;
            for (int j = 0; j < 100; j++) {
                b[at + j] ^= (byte) 0xa5;
            }
        }
        return b;
    }

    private ArtifactStore replica(String name) {
        return new ArtifactStore(tmp.resolve(name));
    }

    private HttpChunkSource http(OriginServer s) {
        return new HttpChunkSource(client, s.uri(), Duration.ofSeconds(10));
    }

    private DeltaAgent.Builder agent(ArtifactStore store) {
        return DeltaAgent.builder(store, verifier, http(server));
    }

    private static void assertSameFiles(Revision expected, Revision actual) throws IOException {
        assertEquals(expected.id(), actual.id());
        assertTrue(actual.verify(true).isEmpty(), actual.verify(true).toString());
        for (Manifest.Entry e : expected.manifest().entries()) {
            assertArrayEquals(Files.readAllBytes(expected.directory().resolve(e.path())),
                    Files.readAllBytes(actual.directory().resolve(e.path())), e.path());
        }
        assertArrayEquals(Files.readAllBytes(expected.directory().resolve(Manifest.FILE_NAME)),
                Files.readAllBytes(actual.directory().resolve(Manifest.FILE_NAME)));
    }

    private static long count(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.count();
        }
    }

    @Test
    void freshReplica_fetchesEveryByteInOneRangePerFile_andActivatesAnIdenticalRevision() throws Exception {
        byte[] manifest = publish(modelA, "{\"v\":1}");
        ArtifactStore replica = replica("replica");

        DeltaAgent.Result result = agent(replica).build().sync(REPO, "main", manifest);

        SyncStats stats = result.stats();
        assertEquals(MODEL_SIZE + 7, stats.bytesFetched());
        assertEquals(server.bytesSent.get(), stats.bytesFetched());
        assertEquals(0, stats.bytesReused());
        assertEquals(2, stats.requests(), "adjacent missing chunks are merged into one range per file");
        assertEquals(0, stats.verifyFailures());
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
        assertEquals(0, count(replica.root().resolve("tmp")), "no staging left behind");
    }

    @Test
    void scatteredEdits_fetchOnlyTheChangedChunks() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).build();
        agent.sync(REPO, "main", publish(modelA, "{\"v\":1}"));
        byte[] manifestB = publish(edited(modelA), "{\"v\":2}");
        long before = server.bytesSent.get();

        SyncStats stats = agent.sync(REPO, "main", manifestB).stats();

        assertEquals(server.bytesSent.get() - before, stats.bytesFetched());
        assertTrue(stats.bytesFetched() < MODEL_SIZE / 8, "fetched " + stats.bytesFetched() + " of " + MODEL_SIZE);
        assertTrue(stats.chunksFetched() >= 6 && stats.chunksFetched() <= 13, "chunks fetched: " + stats.chunksFetched());
        assertEquals(MODEL_SIZE + 7, stats.bytesFetched() + stats.bytesReused());
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
        assertEquals(2, replica.resolve(REPO, "main").manifest().version());
    }

    @Test
    void unchangedFile_isHardLinkedFromThePreviousRevision_unlessTouchedSinceItWasVerified() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).build();
        Revision first = agent.sync(REPO, "main", publish(modelA, "{\"v\":1}")).revision();
        byte[] manifestB = publish(modelA, "{\"v\":2}");
        long before = server.bytesSent.get();

        DeltaAgent.Result second = agent.sync(REPO, "main", manifestB);

        assertEquals(1, second.stats().filesLinked());
        assertEquals(MODEL_SIZE, second.stats().bytesReused());
        assertEquals(7, second.stats().bytesFetched(), "only the changed config");
        assertEquals(7, server.bytesSent.get() - before);
        Path linked = second.revision().directory().resolve("model.bin");
        assertTrue(Files.isSameFile(first.directory().resolve("model.bin"), linked), "one inode, no copy");
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));

        // Touched since the agent verified it (its mtime moved): not trusted, so rebuilt from its chunks
        // (read and hashed, nothing fetched) instead of linked.
        Files.setLastModifiedTime(linked, java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(linked).toMillis() - 60_000));
        DeltaAgent.Result third = agent.sync(REPO, "main", publish(modelA, "{\"v\":3}"));
        assertEquals(0, third.stats().filesLinked());
        assertEquals(7, third.stats().bytesFetched());
        assertFalse(Files.isSameFile(linked, third.revision().directory().resolve("model.bin")));
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
    }

    @Test
    void keepRevisions_deletesOlderRevisionsAndTheirStamps_andKeepsWhatTheKeptOnesShare() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).keepRevisions(2).build();
        Revision r1 = agent.sync(REPO, "main", publish(modelA, "{\"v\":1}")).revision();
        Revision r2 = agent.sync(REPO, "main", publish(modelA, "{\"v\":2}")).revision();
        assertEquals(List.of(r2.id(), r1.id()), replica.revisions(REPO), "two kept, newest first");
        Path stamps = replica.root().resolve("agent").resolve(REPO).resolve("verified");
        assertTrue(Files.isRegularFile(stamps.resolve(r1.id())));

        Revision r3 = agent.sync(REPO, "main", publish(edited(modelA), "{\"v\":3}")).revision();

        assertEquals(List.of(r3.id(), r2.id()), replica.revisions(REPO));
        assertFalse(Files.exists(r1.directory()), "the oldest is gone");
        assertFalse(Files.exists(stamps.resolve(r1.id())), "and its stamp");
        assertTrue(Files.isRegularFile(stamps.resolve(r2.id())) && Files.isRegularFile(stamps.resolve(r3.id())));
        // r2's model was a hard link to r1's: deleting r1 left it whole.
        assertArrayEquals(modelA, Files.readAllBytes(replica.resolve(REPO, r2.id()).directory().resolve("model.bin")));
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
        assertEquals(0, count(replica.root().resolve("tmp")), "nothing left half-deleted");

        assertThrows(IllegalArgumentException.class, () -> replica.deleteRevision(REPO, r3.id()), "main names it");
        assertThrows(IllegalArgumentException.class, () -> agent(replica).keepRevisions(-1));
    }

    @Test
    void localDirectory_suppliesChunksOfFilesTheReplicaNeverHad() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("download-cache"));
        Files.write(cache.resolve("old-copy.bin"), modelA);
        byte[] manifest = publish(edited(modelA), "{}");

        SyncStats stats = agent(replica("replica")).localDirectory(cache).build().sync(REPO, "main", manifest).stats();

        assertTrue(stats.bytesFetched() < MODEL_SIZE / 8, "fetched " + stats.bytesFetched());
        assertTrue(stats.chunksReused() > 50, "reused " + stats.chunksReused());
    }

    @Test
    void corruptChunk_isDetectedCountedAndRefetchedFromTheAlternate() throws Exception {
        byte[] manifest = publish(modelA, "{}");
        try (OriginServer alternate = new OriginServer(origin.root())) {
            ArtifactStore replica = replica("replica");
            server.flipBitOnce.set(true);

            SyncStats stats = agent(replica).alternate(http(alternate)).build().sync(REPO, "main", manifest).stats();

            assertEquals(1, stats.verifyFailures());
            assertEquals(1, alternate.requests.get(), "the bad chunk comes from the other parent");
            assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
        }
    }

    @Test
    void chunkThatNeverVerifies_failsTheSync_andActivatesNothing() throws Exception {
        byte[] manifest = publish(modelA, "{}");
        ArtifactStore replica = replica("replica");
        HttpChunkSource honest = http(server);
        ChunkSource alwaysCorrupt = (repo, rev, path, first, last) -> {
            byte[] body = honest.openRange(repo, rev, path, first, last).readAllBytes();
            body[0] ^= 1;
            return new java.io.ByteArrayInputStream(body);
        };
        DeltaAgent agent = DeltaAgent.builder(replica, verifier, alwaysCorrupt).maxAttempts(2).build();

        IOException e = assertThrows(IOException.class, () -> agent.sync(REPO, "main", manifest));
        assertTrue(e.getMessage().contains("did not verify after 2 refetches"), e.getMessage());
        assertFalse(replica.hasRef(REPO, "main"));
    }

    @Test
    void truncatedResponse_isRetriedForTheRemainder() throws Exception {
        byte[] manifest = publish(modelA, "{}");
        ArtifactStore replica = replica("replica");
        server.truncateOnce.set(true);

        SyncStats stats = agent(replica).build().sync(REPO, "main", manifest).stats();

        assertTrue(stats.retries() >= 1, stats.toString());
        assertEquals(0, stats.verifyFailures());
        assertTrue(stats.bytesFetched() < MODEL_SIZE + 7 + 300_000, "only the remainder is fetched again: " + stats);
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
    }

    /** Without the stall guard this waited forever on a half-sent body; the timeout turns a regression into a failure. */
    @Test
    @Timeout(30)
    void connectionDroppedBeforeContentLength_isRetriedForTheRemainder() throws Exception {
        byte[] manifest = publish(modelA, "{}");
        ArtifactStore replica = replica("replica");
        server.shortBodyOnce.set(true);
        // The server leaves the connection open after the short body: only the stall guard ends the wait.
        HttpChunkSource impatient = new HttpChunkSource(client, server.uri(), Duration.ofMillis(500));

        SyncStats stats = DeltaAgent.builder(replica, verifier, impatient).build().sync(REPO, "main", manifest).stats();

        assertTrue(stats.retries() >= 1, stats.toString());
        assertEquals(0, stats.verifyFailures());
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
    }

    @Test
    void badSignature_isRefused_andTheOldRevisionStaysActiveAndIntact() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).build();
        String revA = agent.sync(REPO, "main", publish(modelA, "{}")).revision().id();
        String manifestB = new String(publish(edited(modelA), "{\"v\":2}"), StandardCharsets.UTF_8);
        String tampered = manifestB.replace("\"version\" : 2", "\"version\" : 3");
        int requests = server.requests.get();

        ManifestRejectedException e = assertThrows(ManifestRejectedException.class,
                () -> agent.sync(REPO, "main", tampered.getBytes(StandardCharsets.UTF_8)));

        assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
        assertOnlyRevision(replica, revA);
        assertEquals(requests, server.requests.get(), "nothing fetched for a refused manifest");
    }

    @Test
    void olderVersion_isRefusedAsRollback_evenByANewAgentProcess() throws Exception {
        ArtifactStore replica = replica("replica");
        byte[] manifestA = publish(modelA, "{}");
        byte[] manifestB = publish(edited(modelA), "{\"v\":2}");
        agent(replica).build().sync(REPO, "main", manifestA);
        String revB = agent(replica).build().sync(REPO, "main", manifestB).revision().id();

        ManifestRejectedException e = assertThrows(ManifestRejectedException.class,
                () -> agent(replica).build().sync(REPO, "main", manifestA));

        assertTrue(e.getMessage().contains("rollback refused"), e.getMessage());
        assertEquals(revB, replica.resolve(REPO, "main").id());
        assertTrue(replica.resolve(REPO, "main").verify(true).isEmpty());
    }

    @Test
    void republishedOldContent_withANewerVersion_isActivatedWithoutFetching() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).build();
        String revA = agent.sync(REPO, "main", publish(modelA, "{}")).revision().id();
        agent.sync(REPO, "main", publish(edited(modelA), "{\"v\":2}"));
        byte[] againA = publish(modelA, "{}");

        DeltaAgent.Result result = agent.sync(REPO, "main", againA);

        assertEquals(revA, result.revision().id());
        assertEquals(3, result.revision().manifest().version());
        assertEquals(0, result.stats().bytesFetched());
        assertTrue(result.revision().verify(true).isEmpty());
        assertArrayEquals(againA, Files.readAllBytes(result.revision().directory().resolve(Manifest.FILE_NAME)));
    }

    @Test
    void pathEscapingTheRepository_isRefused_andNothingIsWritten() throws Exception {
        ArtifactStore replica = replica("replica");
        DeltaAgent agent = agent(replica).build();
        String revA = agent.sync(REPO, "main", publish(modelA, "{}")).revision().id();
        Manifest good = origin.resolve(REPO, "main").manifest();
        Manifest.Entry config = good.entry("config.json");
        Manifest evil = new Manifest(REPO, List.of(new Manifest.Entry("../../evil", config.size(), config.sha256(),
                List.of(new Chunk(0, (int) config.size(), config.sha256())))))
                .withPublication(good.version() + 1, good.expires());

        ManifestRejectedException e = assertThrows(ManifestRejectedException.class,
                () -> agent.sync(REPO, "main", signer.sign(evil.toTree())));

        assertTrue(e.getMessage().contains("escapes"), e.getMessage());
        assertOnlyRevision(replica, revA);
        assertFalse(Files.exists(tmp.resolve("evil")));
    }

    private static void assertOnlyRevision(ArtifactStore replica, String revision) throws IOException {
        Revision active = replica.resolve(REPO, "main");
        assertEquals(revision, active.id());
        assertTrue(active.verify(true).isEmpty());
        assertEquals(1, count(active.directory().getParent()), "no other revision was activated");
        assertEquals(0, count(replica.root().resolve("tmp")), "nothing staged");
    }

    @Test
    void killMidway_leavesTheOldRevision_andARestartFetchesOnlyTheRemainder() throws Exception {
        Path extra = tmp.resolve("tokenizer.bin");
        byte[] extraBytes = new byte[3 << 20];
        new Random(12).nextBytes(extraBytes);
        Files.write(extra, extraBytes);
        byte[] manifestA = publish(modelA, "{}");
        byte[] manifestB = publish(edited(modelA), "{\"v\":2}", extra);
        long rangeBytes = 512 << 10;

        // The cost of an uninterrupted A -> B sync, measured on a control replica.
        ArtifactStore control = replica("control");
        agent(control).maxRangeBytes(rangeBytes).build().sync(REPO, "main", manifestA);
        long uninterrupted = agent(control).maxRangeBytes(rangeBytes).build().sync(REPO, "main", manifestB).stats().bytesFetched();

        ArtifactStore replica = replica("replica");
        String revA = agent(replica).maxRangeBytes(rangeBytes).build().sync(REPO, "main", manifestA).revision().id();
        HttpChunkSource http = http(server);
        AtomicInteger opened = new AtomicInteger();
        ChunkSource dying = (repo, rev, path, first, last) -> {
            // Dies on the third range of the new file: config.json and model.bin are done by then.
            if (path.equals("tokenizer.bin") && opened.incrementAndGet() == 3) {
                throw new IllegalStateException("simulated kill");
            }
            return http.openRange(repo, rev, path, first, last);
        };
        long sentBefore = server.bytesSent.get();
        DeltaAgent killed = DeltaAgent.builder(replica, verifier, dying).maxRangeBytes(rangeBytes).build();
        assertThrows(IllegalStateException.class, () -> killed.sync(REPO, "main", manifestB));
        long firstRun = server.bytesSent.get() - sentBefore;

        Revision active = replica.resolve(REPO, "main");
        assertEquals(revA, active.id(), "the previous revision is still active");
        assertTrue(active.verify(true).isEmpty(), "and intact");
        assertTrue(firstRun > 2 * (256 << 10), "the first run got two tokenizer ranges: " + firstRun);
        assertTrue(firstRun < uninterrupted, "and not everything: " + firstRun);

        SyncStats resumed = agent(replica).maxRangeBytes(rangeBytes).build().sync(REPO, "main", manifestB).stats();

        assertEquals(uninterrupted, firstRun + resumed.bytesFetched(), "verified chunks are not fetched again");
        assertSameFiles(origin.resolve(REPO, "main"), replica.resolve(REPO, "main"));
        assertEquals(0, count(replica.root().resolve("tmp")));
    }
}
