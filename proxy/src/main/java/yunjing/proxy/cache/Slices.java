package yunjing.proxy.cache;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import yunjing.proxy.upstream.UpstreamException;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Large objects stored as fixed-size slices, as nginx's slice module does but shared: an object whose
 * storable 200 announces more than {@code l1MaxObjectBytes} is stored as a <em>sliced</em> entry (the head
 * and the length) plus one slice entry per {@code sliceBytes} of it, each fetched from the parent with a
 * {@code Range} when a reader first needs it ({@link SliceFill}). So reading 1 GiB of a 20 GiB file costs
 * about 1 GiB upstream, a resumed download reuses every slice already stored, and memory per reader is a
 * slice or two whatever the object's size.
 *
 * <h2>Keys</h2>
 * A slice's key is its object's secondary key plus the object's validator and the slice index, so a new
 * version of an object never mixes with slices of the old one (those are left to eviction). When the
 * object names a SHA-256 ({@link Digests}), the key is the digest instead: every URL of the same file
 * (a branch name and a commit hash) shares one set of slices.
 *
 * <h2>Sharing</h2>
 * Concurrent readers of one slice share one fill: the fill is registered under the slice key while it runs,
 * and readers follow its body as it grows (read-while-writer). Slices live in L1 and L2 like other entries;
 * concurrent L2 reads of one slice are shared too ({@link SharedDiskReads}).
 *
 * <p>Thread-safe: {@link #acquire} is called from any event loop.
 */
final class Slices {

    /** What {@link #acquire} hands back, on the reader's loop. */
    interface Callback {
        void ready(CacheEntry slice);

        /** The slice is in an L2 file, opened for sending ({@code fromFile} readers only); the callee owns it. */
        default void readyInFile(DiskBody slice) {
            slice.release();
        }

        void failed(UpstreamException cause);
    }

    private static final Callback IGNORE = new Callback() {
        @Override
        public void ready(CacheEntry slice) {
        }

        @Override
        public void failed(UpstreamException cause) {
        }
    };

    private final HttpCache cache;
    private final long sliceBytes;
    private final ConcurrentHashMap<String, SliceFill> filling = new ConcurrentHashMap<>();

    Slices(HttpCache cache, long sliceBytes) {
        this.cache = cache;
        this.sliceBytes = sliceBytes;
    }

    /**
     * Whether a 200 can be stored as slices: the parent serves byte ranges of it and names a validator
     * that every slice response can be checked against (a strong ETag or Last-Modified).
     */
    static boolean sliceable(HttpHeaders response) {
        String acceptRanges = response.get(HttpHeaderNames.ACCEPT_RANGES);
        return acceptRanges != null && acceptRanges.toLowerCase(Locale.ROOT).contains("bytes")
                && validator(response) != null;
    }

    /** The validator slices are checked against: the strong ETag, else Last-Modified; null when none. */
    static String validator(HttpHeaders response) {
        String etag = response.get(HttpHeaderNames.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            return etag;
        }
        return response.get(HttpHeaderNames.LAST_MODIFIED);
    }

    long sliceBytes() {
        return sliceBytes;
    }

    int count(CacheEntry object) {
        return (int) ((object.slicedLength + sliceBytes - 1) / sliceBytes);
    }

    long start(int index) {
        return index * sliceBytes;
    }

    /** The length of slice {@code index} of {@code object}: {@code sliceBytes}, or less for the last one. */
    long length(CacheEntry object, int index) {
        return Math.min(sliceBytes, object.slicedLength - start(index));
    }

    /** The primary key slices of {@code object} are stored under (what purges match). */
    static String primary(CacheEntry object) {
        return object.digest != null ? Digests.slicePrimary(object.digest) : object.primaryKey;
    }

    static String key(CacheEntry object, int index) {
        String base = object.digest != null ? Digests.slicePrimary(object.digest)
                : object.key + "\nvalidator:" + validator(object.headers);
        return base + "\nslice:" + index;
    }

    /**
     * Finds slice {@code index} of {@code object} (L1, a running fill, L2) or starts its fill, then calls
     * back on {@code loop} with the slice entry, which may still be filling. Any thread.
     *
     * @param request a request for the object (its Host, target and Vary fields go to the parent)
     */
    void acquire(CacheEntry object, CacheRequest request, int index, EventLoop loop, Callback done) {
        acquire(object, request, index, loop, false, done);
    }

    /**
     * As {@link #acquire(CacheEntry, CacheRequest, int, EventLoop, Callback)}; with {@code fromFile}, a slice
     * found only in L2 is not read into memory but opened for sending and handed to
     * {@link Callback#readyInFile}.
     */
    void acquire(CacheEntry object, CacheRequest request, int index, EventLoop loop, boolean fromFile, Callback done) {
        String key = key(object, index);
        CacheEntry inMemory = cache.memoryLookup(key);
        if (inMemory != null) {
            loop.execute(() -> done.ready(inMemory));
            return;
        }
        SliceFill running = filling.get(key);
        if (running != null) {
            loop.execute(() -> done.ready(running.slice));
            return;
        }
        var file = fromFile ? cache.diskOpen(key) : null;
        if (file != null) {
            file.whenComplete((opened, error) -> {
                if (opened != null && opened.length == length(object, index) && !opened.head.isSliced()) {
                    loop.execute(() -> done.readyInFile(opened));
                } else {
                    if (opened != null) {
                        opened.release();
                    }
                    fetch(object, request, index, key, loop, done); // gone, corrupt or wrong: fetch it again
                }
            });
            return;
        }
        var onDisk = cache.diskLookup(key);
        if (onDisk != null) {
            onDisk.whenComplete((slice, error) -> {
                if (slice != null && slice.body.length() == length(object, index)) {
                    loop.execute(() -> done.ready(slice));
                } else {
                    fetch(object, request, index, key, loop, done); // gone or corrupt: fetch it again
                }
            });
            return;
        }
        fetch(object, request, index, key, loop, done);
    }

    /**
     * Starts loading slice {@code index} ahead of a reader, so the next slice's round trip overlaps this one.
     * Without {@code readDisk} (a reader sending from files) a slice in L2 is left there: the reader opens it.
     */
    void prefetch(CacheEntry object, CacheRequest request, int index, EventLoop loop, boolean readDisk) {
        if (index < count(object) && (readDisk || !cache.onDisk(key(object, index)))) {
            acquire(object, request, index, loop, IGNORE);
        }
    }

    /**
     * Starts the fill of a slice once the node's {@link SliceBudget} has room for it; readers follow its body
     * meanwhile. A read-ahead ({@code done} is {@link #IGNORE}) is skipped instead when the budget is spent.
     */
    private void fetch(CacheEntry object, CacheRequest request, int index, String key, EventLoop loop, Callback done) {
        long length = length(object, index);
        boolean readAhead = done == IGNORE;
        SliceBudget budget = cache.sliceBudget();
        if (readAhead && !budget.tryTake(length)) {
            return;
        }
        SliceFill fill = new SliceFill(cache, this, object, request, key, start(index), length, loop);
        SliceFill running = filling.putIfAbsent(key, fill);
        if (running != null) {
            if (readAhead) {
                budget.give(length);
            }
            loop.execute(() -> done.ready(running.slice));
            return;
        }
        if (readAhead) {
            loop.execute(fill::start);
        } else {
            budget.take(length, () -> loop.execute(fill::start));
        }
        loop.execute(() -> done.ready(fill.slice));
    }

    void unregister(String key, SliceFill fill) {
        filling.remove(key, fill);
    }

    /** Keeps running fills of slices whose primary key {@code purged} accepts from storing what they fetch. */
    void purge(Predicate<String> purged) {
        for (var e : filling.entrySet()) {
            if (purged.test(e.getValue().slice.primaryKey) && filling.remove(e.getKey(), e.getValue())) {
                e.getValue().purged();
            }
        }
    }
}
