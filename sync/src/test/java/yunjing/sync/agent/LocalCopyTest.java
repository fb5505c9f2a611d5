package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local copies of a delta, when they run far ahead of the hashing: a file of many copy steps
 * whose first chunk must be fetched, so the copier fills every buffer of its {@link CopyHandoff}
 * and waits while the hashing waits for that chunk.
 */
class LocalCopyTest extends AbstractSignedOriginTest {

    private static final String REPO = "yunjing/copies";
    /** More copy steps than the handoff has buffers, after the first chunk. */
    private static final int SIZE = (CopyHandoff.BUFFERS + 3) * LocalChunkReuse.COPY_STEP_BYTES + 12345;

    private byte[] old;
    private byte[] edited;

    LocalCopyTest() {
        super(31);
    }

    private byte[] publish(byte[] model) throws IOException {
        return publishModel(REPO, model);
    }

    private DeltaAgent agent(ArtifactStore store) {
        return DeltaAgent.builder(store, verifier, new HttpChunkSource(client, server.uri(), Duration.ofSeconds(10)))
                .maxAttempts(2).build();
    }

    /** A replica holding the old version, verified by the agent itself (so its chunks are copied unread). */
    private ArtifactStore replicaWithOld() throws Exception {
        old = new byte[SIZE];
        new Random(7).nextBytes(old);
        edited = old.clone();
        for (int i = 0; i < 100; i++) {
            edited[10 + i] ^= 0x33; // in the first chunk only: everything after it is copied
        }
        ArtifactStore replica = new ArtifactStore(tmp.resolve("replica"));
        agent(replica).sync(REPO, "main", publish(old));
        return replica;
    }

    @Test
    void copiesFarAheadOfASlowFetch_waitForTheHashing_andBuildTheExactFile() throws Exception {
        ArtifactStore replica = replicaWithOld();
        byte[] manifest = publish(edited);
        server.delayMillis = 300; // the copier fills every buffer meanwhile

        SyncStats stats = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> agent(replica).sync(REPO, "main", manifest).stats());

        Revision active = replica.resolve(REPO, "main");
        assertArrayEquals(edited, Files.readAllBytes(active.directory().resolve("model.bin")));
        assertTrue(active.verify(true).isEmpty(), active.verify(true).toString());
        assertTrue(stats.bytesReused() > SIZE - (256 << 10), "all but the edited chunk copied locally: " + stats);
    }

    @Test
    void aFetchThatFailsForGood_whileTheCopierWaitsForABuffer_failsTheSync_withoutHanging() throws Exception {
        ArtifactStore replica = replicaWithOld();
        byte[] manifest = publish(edited);
        String before = replica.resolve(REPO, "main").id();
        server.unavailable = true;

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(IOException.class, () -> agent(replica).sync(REPO, "main", manifest)));

        assertEquals(before, replica.resolve(REPO, "main").id(), "the old revision stays active");
        assertArrayEquals(old, Files.readAllBytes(replica.resolve(REPO, "main").directory().resolve("model.bin")));
    }
}
