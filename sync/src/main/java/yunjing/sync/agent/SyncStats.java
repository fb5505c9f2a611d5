package yunjing.sync.agent;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one {@link DeltaAgent#sync} moved. {@code bytesFetched} counts every byte read from a
 * source, including those of chunks that failed verification; {@code retries} counts repeated
 * requests after truncated or failed responses; {@code requests} counts range requests made;
 * {@code filesLinked} counts files taken whole from the previous revision as hard links (their
 * bytes and chunks count as reused).
 */
public record SyncStats(long bytesFetched, long bytesReused, long chunksFetched, long chunksReused,
                        long verifyFailures, long retries, long requests, long filesLinked) {

    /** Running tally for one sync; updated by the agent's fetch workers at once, so every field is a {@link LongAdder}. */
    static final class Counter {
        final LongAdder bytesFetched = new LongAdder();
        final LongAdder bytesReused = new LongAdder();
        final LongAdder chunksFetched = new LongAdder();
        final LongAdder chunksReused = new LongAdder();
        final LongAdder verifyFailures = new LongAdder();
        final LongAdder retries = new LongAdder();
        final LongAdder requests = new LongAdder();
        final LongAdder filesLinked = new LongAdder();
        /** File bytes in place and verified (reused or fetched), for progress. */
        final LongAdder bytesDone = new LongAdder();

        SyncStats snapshot() {
            return new SyncStats(bytesFetched.sum(), bytesReused.sum(), chunksFetched.sum(), chunksReused.sum(),
                    verifyFailures.sum(), retries.sum(), requests.sum(), filesLinked.sum());
        }
    }
}
