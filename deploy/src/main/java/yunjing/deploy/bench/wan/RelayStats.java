package yunjing.deploy.bench.wan;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counters of one relay: connections, request turns, faults by kind and bytes per direction. Thread-safe. */
public final class RelayStats {
    final AtomicLong connections = new AtomicLong();
    final AtomicLong turns = new AtomicLong();
    final AtomicLong bytesUp = new AtomicLong();
    final AtomicLong bytesDown = new AtomicLong();
    private final AtomicLongArray faults = new AtomicLongArray(FaultKind.values().length);

    void fault(FaultKind kind) {
        faults.incrementAndGet(kind.ordinal());
    }

    public long connections() {
        return connections.get();
    }

    public long turns() {
        return turns.get();
    }

    /** Bytes the client side sent towards the target. */
    public long bytesUp() {
        return bytesUp.get();
    }

    /** Bytes the target sent back towards the client side (for the origin link: the origin's egress). */
    public long bytesDown() {
        return bytesDown.get();
    }

    public long faults(FaultKind kind) {
        return faults.get(kind.ordinal());
    }

    public Map<FaultKind, Long> faults() {
        Map<FaultKind, Long> out = new EnumMap<>(FaultKind.class);
        for (FaultKind kind : FaultKind.values()) {
            out.put(kind, faults(kind));
        }
        return out;
    }
}
