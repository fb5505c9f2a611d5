package yunjing.sync.agent;

/**
 * What one {@link DeltaAgent#sync} moved. {@code bytesFetched} counts every byte read from a
 * source, including those of chunks that failed verification; {@code retries} counts repeated
 * requests after truncated or failed responses; {@code requests} counts range requests made.
 */
public record SyncStats(long bytesFetched, long bytesReused, long chunksFetched, long chunksReused,
                        long verifyFailures, long retries, long requests) {

    /** Mutable tally for one sync; confined to the syncing thread. */
    static final class Counter {
        long bytesFetched;
        long bytesReused;
        long chunksFetched;
        long chunksReused;
        long verifyFailures;
        long retries;
        long requests;

        SyncStats snapshot() {
            return new SyncStats(bytesFetched, bytesReused, chunksFetched, chunksReused, verifyFailures, retries, requests);
        }
    }
}
