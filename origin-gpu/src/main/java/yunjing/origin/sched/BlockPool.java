package yunjing.origin.sched;

/**
 * Key/value cache memory counted in fixed-size blocks (vLLM's paged attention, TensorRT-LLM's paged KV cache):
 * a sequence of {@code n} positions holds {@code ceil(n / blockSize)} blocks, taken as it grows and all given
 * back when it ends. The scheduler admits and grows sequences only against free blocks.
 *
 * <p>Mutated only by the scheduler thread; {@link #used()} may be read by any thread (metrics).
 */
final class BlockPool {

    private final int total;
    private volatile int used;

    BlockPool(int total) {
        this.total = total;
    }

    int total() {
        return total;
    }

    int used() {
        return used;
    }

    int free() {
        return total - used;
    }

    boolean tryAllocate(int blocks) {
        if (blocks < 0) {
            throw new IllegalArgumentException("blocks: " + blocks + " (expected: >= 0)");
        }
        if (blocks > free()) {
            return false;
        }
        used += blocks;
        return true;
    }

    void release(int blocks) {
        if (blocks < 0 || blocks > used) {
            throw new IllegalStateException("release " + blocks + " blocks with " + used + " in use");
        }
        used -= blocks;
    }
}
