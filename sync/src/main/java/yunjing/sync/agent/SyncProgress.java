package yunjing.sync.agent;

import java.time.Duration;

/**
 * How far one {@link DeltaAgent#sync} has got: file bytes in place and verified (reused, patched
 * or fetched) out of the revision's total, and bytes read from parents so far.
 * {@code finished} is true on the last report of a sync.
 */
public record SyncProgress(String repo, long bytesDone, long bytesTotal, long bytesFetched, Duration elapsed, boolean finished) {

    /** Receives reports from the agent's progress thread, every {@link DeltaAgent.Builder#progress} interval. */
    @FunctionalInterface
    public interface Listener {
        void onProgress(SyncProgress progress);
    }
}
