package yunjing.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.CacheStats;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.UpstreamClient;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamListener;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The node's HTTP cache (RFC 9111, shared cache): L1 in memory, L2 on disk ({@link DiskTier}), request
 * collapsing, revalidation, stale-while-revalidate and stale-if-error. The parent tier is reached through {@link UpstreamClient}.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Lookup</b>: primary key ({@link CacheKey}) → the Vary field names last stored for it → the
 *       secondary key → L1 (Caffeine, bounded by weight = bytes). L1 holds complete entries only. On an
 *       L1 miss a GET looks in L2, whose read runs on the disk tier's thread; the entry found moves to L1.
 *       Every entry stored in L1 is also written to L2. For a plaintext HTTP/1.x client ({@link FileRegionSink})
 *       an L2 hit of at least {@link #SENDFILE_MIN_FILE_BYTES}, and every slice found only in L2, is sent
 *       from its file with sendfile instead and not moved to L1 (see {@code sendFromDisk}).</li>
 *   <li><b>Misses</b> go to a {@link Fill} in the in-flight map, one per primary key: the first miss
 *       starts it, later ones join it and read the body as it grows ({@link GrowingBody}).</li>
 *   <li><b>Stale entries</b> are revalidated by a fill with the stored validators; within
 *       stale-while-revalidate the stale entry is served at once and the fill runs in the background.</li>
 *   <li><b>Ranges</b> (RFC 9110 §14) are answered from the entry by {@link Delivery} (see {@link ByteRanges}),
 *       also while it fills; a Range miss fetches the whole object once (collapsed) and answers the range
 *       as the body streams in.</li>
 *   <li><b>Large objects</b> (a 200 announcing more than {@code l1MaxObjectBytes}, from a parent that serves
 *       ranges) are stored as {@link Slices}: the head at once, the bytes slice by slice as readers need
 *       them, each slice fetched once with a Range and shared.</li>
 *   <li><b>Digests</b>: a whole body checked against the SHA-256 its head names is stored once per digest
 *       ({@link DigestBodies}); L1 and L2 hold a head under the URL's key, joined to the body on lookup. A
 *       client that takes file regions gets a body found only in L2 sent from the body's file (see
 *       {@code decideHead}).</li>
 *   <li><b>HEAD</b> is decided as a GET: a miss fills with a GET, the client getting the head alone; a
 *       response that cannot be stored is fetched again with the client's own HEAD.</li>
 *   <li><b>Bypass</b>: methods other than GET/HEAD, requests with a body and targets that cannot be
 *       normalised go the plain forwarding path ({@code fwd=bypass}).</li>
 * </ul>
 * Thread-safe: called from every event loop. Caffeine's maintenance runs on the calling thread so that
 * evictions are deterministic; it never blocks on I/O.
 */
public final class HttpCache implements AutoCloseable {

    /** Bytes of entries waiting for the disk tier's thread; past it, writes are skipped (and counted). */
    private static final long MAX_PENDING_DISK_WRITES = 64L << 20;
    /**
     * Entry files below this size are read into memory (and L1) even for clients that take file regions:
     * one write from memory costs less than opening the file on the disk thread, and L1 stays useful.
     */
    static final long SENDFILE_MIN_FILE_BYTES = 64 * 1024;
    /** Slice bytes being fetched or waiting for the disk ({@link SliceBudget}); below the disk queue's bound. */
    private static final long MAX_SLICE_BYTES_IN_FLIGHT = 48L << 20;

    private final CacheConfig config;
    private final String nodeId;
    private final UpstreamClient upstream;
    private final ProxyMetrics metrics;
    private final LongSupplier clock;
    private final Cache<String, CacheEntry> l1;
    private final Cache<String, List<String>> varyIndex;
    private final ConcurrentHashMap<String, Fill> fills = new ConcurrentHashMap<>();
    private final DiskTier disk;
    private final Slices slices;
    private final DigestBodies bodies;
    private final SliceBudget sliceBudget = new SliceBudget(MAX_SLICE_BYTES_IN_FLIGHT);
    private final SharedDiskReads diskReads;
    /** Removals by key, prefix and digest; its generation tells an L2 read that a purge ran meanwhile. */
    private final CachePurges purges;
    private final SlicedDigests slicedDigests;
    private final CacheCounters counters;

    /**
     * Opens the cache; with a disk tier this reads the index of the disk directory, so it blocks: call it
     * from the thread that starts the node.
     *
     * @throws IOException naming the directory when the disk tier cannot be opened
     */
    public HttpCache(CacheConfig config, String nodeId, UpstreamClient upstream, ProxyMetrics metrics,
            LongSupplier clock) throws IOException {
        this.config = config;
        this.nodeId = nodeId;
        this.upstream = upstream;
        this.metrics = metrics;
        this.clock = clock;
        this.counters = new CacheCounters(metrics);
        this.slices = new Slices(this, config.sliceBytes());
        this.l1 = Caffeine.newBuilder()
                .maximumWeight(config.l1MaxBytes())
                .weigher((String key, CacheEntry entry) -> entry.weight())
                .executor(Runnable::run)
                .removalListener((String key, CacheEntry entry, RemovalCause cause) -> {
                    if (cause.wasEvicted()) {
                        counters.evicted("l1");
                    }
                })
                .build();
        // Vary names per primary key: small values, bounded by count.
        this.varyIndex = Caffeine.newBuilder().maximumSize(1_000_000).executor(Runnable::run).build();
        metrics.cacheBytes("l1", () -> l1.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L));
        if (config.diskDir() != null) {
            try {
                disk = new DiskTier(config.diskDir(), config.diskMaxBytes(), MAX_PENDING_DISK_WRITES, nodeId,
                        size -> counters.evicted("l2"));
            } catch (IOException e) {
                throw new IOException("cache diskDir " + config.diskDir() + ": " + e.getMessage(), e);
            }
            metrics.cacheBytes("l2", disk::bytes);
            metrics.sendfileFiles(disk::openFiles);
        } else {
            disk = null;
        }
        this.bodies = new DigestBodies(l1, disk, this::diskLookup);
        this.purges = new CachePurges(l1, varyIndex, slices, fills, disk, bodies);
        this.diskReads = new SharedDiskReads(disk, l1, purges, metrics, config);
        this.slicedDigests = new SlicedDigests(slices, purges, counters);
    }

    /**
     * Answers {@code head} from the cache or through a fill, or returns null when the request bypasses
     * the cache (the caller forwards it). The listener is only called back later, on {@code loop}, never
     * from inside this method. Must run on {@code loop}.
     *
     * @param head the request as it goes upstream; its headers are not modified here
     */
    public ResponseHandle serve(HttpRequest head, EventLoop loop, UpstreamListener listener) {
        return serve(head, loop, listener, null);
    }

    /**
     * As {@link #serve(HttpRequest, EventLoop, UpstreamListener)}, for a client that can take body bytes as
     * file regions ({@code files}; null: it cannot): bodies that live in L2 files are then sent from them
     * with {@code sendfile} rather than read into memory.
     */
    public ResponseHandle serve(HttpRequest head, EventLoop loop, UpstreamListener listener, FileRegionSink files) {
        CacheRequest request = cacheRequest(head);
        if (request == null) {
            return null;
        }
        CacheEntry stored = lookup(request);
        // A HEAD gets no body, so no file regions either.
        Delivery delivery = new Delivery(this, loop, request, listener, request.isHead() ? null : files);
        // A HEAD is decided as a GET would be: a miss fills the cache with a GET (nginx's proxy_cache_convert_head)
        // and a stale entry is revalidated, the client getting the head alone. Hub clients HEAD every file
        // before they GET it, so this keeps those round trips off the parents too.
        if (stored != null) {
            return decideHead(request, delivery, stored); // L1: decided at once, or its shared body read first
        }
        String diskKey = disk != null ? disk.keyFor(request) : null;
        if (diskKey == null) {
            return decide(request, delivery, null);
        }
        if (files != null && disk.fileSize(diskKey) >= SENDFILE_MIN_FILE_BYTES) {
            sendFromDisk(request, delivery, diskKey);
        } else {
            readFromDisk(request, delivery, diskKey);
        }
        return delivery;
    }

    /**
     * L2: read off the event loop (shared with concurrent readers of the key, moved to L1 there), then
     * decided on as for an L1 lookup; a head ({@link DigestBodies}) is first joined to its body.
     */
    private void readFromDisk(CacheRequest request, Delivery delivery, String diskKey) {
        long purgesBefore = purges.generation();
        CompletableFuture<CacheEntry> read = diskLookup(diskKey);
        if (read == null) {
            decide(request, delivery, null); // dropped since the key was looked up
            return;
        }
        read.whenComplete((entry, error) -> delivery.loop.execute(() -> {
            CacheEntry found = error == null ? entry : null;
            if (found != null && purges.generation() == purgesBefore) {
                varyIndex.put(found.primaryKey, found.varyNames); // L1 lookups find it from now on
            }
            if (found != null) {
                decideHead(request, delivery, found);
            } else {
                decide(request, delivery, null);
            }
        }));
    }

    /**
     * An entry found in L1 or L2, decided on at once when it holds its body. A head
     * ({@link CacheEntry#sharedBody}) is joined to its body from L1 when it is there.
     * Else a usable head for a client that takes file regions is sent with its body's L2 file by sendfile
     * (the body's own file, checked as {@link DiskTier#openBody} does; the head's file holds no body), and
     * otherwise joined to the body read from L2, then decided on. A head whose body is stored nowhere is a
     * miss. On the request's loop.
     */
    private ResponseHandle decideHead(CacheRequest request, Delivery delivery, CacheEntry head) {
        CacheEntry whole = bodies.joinInMemory(head);
        if (whole != null) {
            return decide(request, delivery, whole);
        }
        String bodyKey = DigestBodies.key(head.sharedBody);
        if (delivery.takesFileRegions() && disk != null && disk.fileSize(bodyKey) >= SENDFILE_MIN_FILE_BYTES
                && usable(request, head, now())) {
            disk.openBody(bodyKey, maxHeuristicMillis(), negativeTtlMillis()).whenComplete((body, error) ->
                    delivery.loop.execute(() -> {
                        if (body == null) {
                            joinAndDecide(request, delivery, head); // gone, or corrupt and deleted: a miss
                        } else {
                            count("hit");
                            delivery.serveFile(head, body, "hit");
                        }
                    }));
            return delivery;
        }
        return joinAndDecide(request, delivery, head);
    }

    /** Decides on {@code head} joined to its body read from L2 (null when the body is gone: a miss). */
    private ResponseHandle joinAndDecide(CacheRequest request, Delivery delivery, CacheEntry head) {
        CompletableFuture<CacheEntry> joined = bodies.join(head);
        if (joined.isDone() && !joined.isCompletedExceptionally()) {
            return decide(request, delivery, joined.getNow(null));
        }
        joined.whenComplete((entry, error) -> delivery.loop.execute(() ->
                decide(request, delivery, error == null ? entry : null)));
        return delivery;
    }

    /**
     * L2 for a client that takes file regions: the file is opened (and its checksum verified once per
     * process, see {@link DiskTier#openBody}) off the event loop, and a usable entry is sent from it with
     * {@code sendfile}, not moved to L1: for these clients the kernel's page cache is the memory tier, and
     * L1 stays for small objects and for TLS/h2 clients, whose L2 hits still move there. An entry that
     * needs more than a hit (stale, revalidation, a request's own conditions), and a head whose body is
     * stored by digest (its file holds no body), take the reading path.
     */
    private void sendFromDisk(CacheRequest request, Delivery delivery, String diskKey) {
        disk.openBody(diskKey, maxHeuristicMillis(), negativeTtlMillis()).whenComplete((file, error) ->
                delivery.loop.execute(() -> {
                    if (file == null) {
                        decide(request, delivery, null); // gone, or corrupt and deleted: a miss
                    } else if (file.head.isSliced() || file.head.sharedBody != null
                            || !usable(request, file.head, now())) {
                        file.release();
                        readFromDisk(request, delivery, diskKey);
                    } else {
                        count("hit");
                        delivery.serveFile(file.head, file, "hit");
                    }
                }));
    }

    /**
     * Answers {@code head} before returning when L1 holds a fresh entry for it that is usable as it is
     * (what {@link #serve} would count as a {@code hit}), whole (not sliced) and complete, with a body of at
     * most {@code maxBodyBytes}: the listener then gets the whole response, head to last content, inline,
     * built by the same {@link Delivery} code as every hit (Age, Cache-Status, 304, Range, HEAD), and true
     * is returned. Otherwise nothing is called or counted and false is returned: the caller goes on with
     * {@link #serve}. Must run on {@code loop}.
     *
     * @param head the request as it goes upstream; its headers are not modified here
     */
    public boolean serveCompleteHit(HttpRequest head, EventLoop loop, UpstreamListener listener, long maxBodyBytes) {
        CacheRequest request = cacheRequest(head);
        CacheEntry found = request == null ? null : lookup(request);
        // A head whose body is stored once by digest is only a hit with that body in L1 (never send its empty body).
        CacheEntry stored = found == null ? null : bodies.joinInMemory(found);
        if (stored == null || stored.isSliced() || stored.knownLength() < 0 || stored.knownLength() > maxBodyBytes
                || !usable(request, stored, now())) {
            return false;
        }
        count("hit");
        new Delivery(this, loop, request, listener, null).serveEntryNow(stored, "hit");
        return true;
    }

    /** The request as the cache sees it, or null when it bypasses the cache. */
    private static CacheRequest cacheRequest(HttpRequest head) {
        if (!CachePolicy.cacheableMethod(head.method()) || hasBody(head)) {
            return null;
        }
        String primary = CacheKey.primary(head.headers().get(HttpHeaderNames.HOST), head.uri());
        return primary == null ? null : new CacheRequest(head, primary, CacheControl.parse(head.headers()));
    }

    private boolean usable(CacheRequest request, CacheEntry stored, long now) {
        long lifetime = CachePolicy.mustValidateEachTime(stored.cacheControl) ? 0 : stored.lifetime;
        return CachePolicy.requestAccepts(request.cacheControl(), lifetime, stored.age(now), stored.immutable());
    }

    /** What to do with a request given its stored entry (or null). On the request's loop. */
    private ResponseHandle decide(CacheRequest request, Delivery delivery, CacheEntry stored) {
        long now = now();
        EventLoop loop = delivery.loop;
        String primary = request.primaryKey();
        if (stored != null) {
            long age = stored.age(now);
            long lifetime = CachePolicy.mustValidateEachTime(stored.cacheControl) ? 0 : stored.lifetime;
            if (usable(request, stored, now)) {
                count("hit");
                delivery.serveEntry(stored, "hit");
                return delivery;
            }
            long swr = CachePolicy.staleWhileRevalidate(stored.cacheControl);
            if (age >= lifetime && age - lifetime <= swr && CachePolicy.requestAccepts(request.cacheControl(),
                    lifetime + swr, age, false)) {
                // RFC 5861 §3: serve the stale response now, refresh it in the background.
                count("stale");
                Fill refresh = new Fill(this, request, null, stored, "fwd=stale", true, loop);
                if (fills.putIfAbsent(primary, refresh) == null) {
                    refresh.start();
                }
                delivery.serveEntry(stored, "fwd=stale; detail=stale-while-revalidate");
                return delivery;
            }
        }
        if (request.cacheControl().has("only-if-cached")) {
            // RFC 9111 §5.2.1.7: no stored response that can be used → 504.
            count("miss");
            delivery.fail(new UpstreamException(UpstreamException.Kind.CONNECT_TIMEOUT,
                    "only-if-cached: no usable stored response", null));
            return delivery;
        }
        // RFC 9211 §2.2: fwd=request when a usable (fresh) entry was passed over because of the request.
        String reason = stored == null ? "fwd=miss"
                : stored.age(now) < stored.lifetime && !CachePolicy.mustValidateEachTime(stored.cacheControl)
                ? "fwd=request" : "fwd=stale";
        while (true) {
            Fill running = fills.get(primary);
            if (running != null) {
                if (running.join(delivery)) {
                    count("collapsed");
                } else {
                    count("miss");
                    fetchAlone(delivery);
                }
                return delivery;
            }
            Fill fill = new Fill(this, request, delivery, stored, reason, true, loop);
            if (fills.putIfAbsent(primary, fill) == null) {
                count(stored == null ? "miss" : "stale");
                fill.start();
                return delivery;
            }
        }
    }

    private CacheEntry lookup(CacheRequest request) {
        List<String> names = varyIndex.getIfPresent(request.primaryKey());
        return names == null ? null : l1.getIfPresent(request.secondaryKey(names));
    }

    private static boolean hasBody(HttpRequest head) {
        return HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
    }

    /** A client that cannot share a fill sends its own request (not registered: nobody joins it). */
    void fetchAlone(Delivery delivery) {
        delivery.loop.execute(() -> {
            if (!delivery.isAborted()) {
                new Fill(this, delivery.request, delivery, null, "fwd=miss", false, delivery.loop).start();
            }
        });
    }

    /**
     * Stores a complete entry in L1 and, in the background, on disk; a body checked against its digest is
     * stored once for every URL naming it ({@link DigestBodies}), the entry's key getting its head.
     */
    void store(CacheEntry entry) {
        if (DigestBodies.shareable(entry)) {
            CacheEntry head = entry.headOnly(entry.digest);
            boolean bodyOnDisk = bodies.store(entry);
            storeInMemory(head);
            if (bodyOnDisk) {
                writeToDisk(head);
            } else {
                metrics.cacheResult("l2-write-skipped"); // the head stays out of L2 with its body
            }
            return;
        }
        storeInMemory(entry);
        writeToDisk(entry);
    }

    private void writeToDisk(CacheEntry entry) {
        if (disk != null && !disk.write(entry)) {
            metrics.cacheResult("l2-write-skipped");
        }
    }

    /**
     * Stores a complete slice in L1 and, in the background, on disk (no Vary index: slices are found by key);
     * {@code stored} runs once it is on disk, or at once without a disk tier or when the write is skipped.
     */
    void storeSlice(CacheEntry slice, Runnable stored) {
        l1.put(slice.key, slice);
        if (disk == null) {
            stored.run();
        } else if (!disk.write(slice, stored)) {
            metrics.cacheResult("l2-write-skipped");
            stored.run();
        }
    }

    /** The body stored once under {@code sha256} if L1 holds it with {@code length} bytes, else null ({@link DigestBodies}). */
    GrowingBody storedBody(String sha256, long length) {
        return bodies.inMemory(sha256, length);
    }

    SliceBudget sliceBudget() {
        return sliceBudget;
    }

    CacheEntry memoryLookup(String key) {
        return l1.getIfPresent(key);
    }

    /** The entry stored on disk under {@code key} ({@link SharedDiskReads}); null when L2 has none. */
    CompletableFuture<CacheEntry> diskLookup(String key) {
        return diskReads.lookup(key);
    }

    /**
     * The L2 file of {@code key} opened for sending ({@link DiskTier#openBody}), or null when L2 has no file
     * for it (none, or only a write queued). The future yields null for a corrupt entry (deleted).
     */
    CompletableFuture<DiskBody> diskOpen(String key) {
        if (disk == null || disk.fileSize(key) < 0) {
            return null;
        }
        return disk.openBody(key, maxHeuristicMillis(), negativeTtlMillis());
    }

    /** Whether L2 holds {@code key} or has its write queued. */
    boolean onDisk(String key) {
        return disk != null && disk.contains(key);
    }

    void servedBySendfile(long bytes) {
        metrics.cacheServed("l2-sendfile", bytes);
    }

    Slices slices() {
        return slices;
    }

    SlicedDigests slicedDigests() {
        return slicedDigests;
    }

    private void storeInMemory(CacheEntry entry) {
        varyIndex.put(entry.primaryKey, entry.varyNames);
        l1.put(entry.key, entry);
    }

    void invalidate(CacheEntry entry) {
        l1.asMap().computeIfPresent(entry.key, (key, stored) -> entry.sameResponse(stored) ? null : stored);
        if (disk != null) {
            disk.remove(entry.key);
        }
    }

    /** Finishes pending disk writes and stops the disk tier's thread. */
    @Override
    public void close() {
        if (disk != null) {
            disk.close();
        }
    }

    void unregister(String primaryKey, Fill fill) {
        fills.remove(primaryKey, fill);
    }

    /** The stale entry updated with a 304's fields (RFC 9111 §4.3.4), stored (unless purged meanwhile) and returned. */
    CacheEntry refresh(CacheEntry stale, HttpHeaders notModified, long requestTime, long responseTime, boolean store) {
        HttpHeaders merged = stale.headers.copy();
        HttpHeaders update = CacheEntry.storedHeaders(notModified);
        update.remove(HttpHeaderNames.CONTENT_LENGTH); // §4.3.4: a 304's length is not the body's
        for (String name : update.names()) {
            merged.set(name, update.getAll(name));
        }
        CacheControl cc = CacheControl.parse(merged);
        long lifetime = CachePolicy.freshnessLifetime(stale.status.code(), merged, cc, responseTime,
                maxHeuristicMillis(), negativeTtlMillis());
        CacheEntry refreshed = new CacheEntry(stale.primaryKey, stale.key, stale.status, merged, stale.varyNames,
                requestTime, responseTime, lifetime, stale.body, stale.slicedLength);
        if (store) {
            store(refreshed);
        }
        return refreshed;
    }

    /** Whether stale-if-error lets {@code stale} be served at {@code now} (RFC 5861 §4, capped by the config). */
    boolean staleIfErrorAllows(CacheEntry stale, long now) {
        long staleness = stale.age(now) - stale.lifetime;
        return staleness <= CachePolicy.staleIfError(stale.cacheControl, config.maxStaleIfError().toMillis());
    }

    void count(String result) {
        counters.result(result);
    }

    /**
     * Purges every stored response whose head names this SHA-256, under whatever URL, and the slices stored
     * under the digest ({@link CachePurges#purgeDigest}).
     *
     * @param sha256 64 hex digits
     */
    public int purgeDigest(String sha256) {
        return purges.purgeDigest(sha256);
    }

    /** Purges one primary key: {@code host[:port]} + normalised path + query ({@link CachePurges#purgeKey}). */
    public int purgeKey(String host, String target) {
        return purges.purgeKey(host, target);
    }

    /** After a successful unsafe request: RFC 9111 §4.4 ({@link CachePurges#invalidateAfterUnsafe}). Any thread. */
    public int invalidateAfterUnsafe(String host, String target, HttpHeaders response) {
        return purges.invalidateAfterUnsafe(host, target, response);
    }

    /** Purges every primary key that starts with {@code host[:port]/pathPrefix} ({@link CachePurges#purgePrefix}). */
    public int purgePrefix(String host, String pathPrefix) {
        return purges.purgePrefix(host, pathPrefix);
    }

    /** A snapshot of the counters and tier sizes. Any thread. */
    public CacheStats stats() {
        long l1Bytes = l1.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
        return counters.stats(l1.estimatedSize(), l1Bytes, disk == null ? 0 : disk.entries(), disk == null ? 0 : disk.bytes());
    }

    void servedFromMemory(long bytes) {
        metrics.cacheServed("l1", bytes);
    }

    UpstreamClient upstream() {
        return upstream;
    }

    String nodeId() {
        return nodeId;
    }

    long now() {
        return clock.getAsLong();
    }

    long maxObjectBytes() {
        return config.l1MaxObjectBytes();
    }

    long maxHeuristicMillis() {
        return config.maxHeuristicLifetime().toMillis();
    }

    long negativeTtlMillis() {
        return config.negativeTtl().toMillis();
    }
}
