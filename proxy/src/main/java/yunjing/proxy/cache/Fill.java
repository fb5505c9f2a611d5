package yunjing.proxy.cache;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamExchange;
import yunjing.proxy.upstream.UpstreamListener;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * One GET sent to the parents to fill (or refresh) the cache for a primary key, and the clients waiting
 * for it: request collapsing with read-while-writer.
 *
 * <h2>Phases</h2>
 * <em>waiting</em> for the response head: clients that miss on the same key join as waiters →
 * <ul>
 *   <li><em>storing</em>: the response is storable; every waiter (and every client that joins later,
 *       until the body is complete) reads the {@link GrowingBody} as it grows, at its own pace. The fill
 *       reads the parent at full speed: the body is bounded by {@code l1MaxObjectBytes} (a body of
 *       unknown length that grows past it is finished for the readers already attached but not stored;
 *       until then it is held in memory — the disk tier is where such bodies will go).</li>
 *   <li><em>relaying</em>: not storable (or too large by its Content-Length): the owner gets the
 *       parent's response relayed with backpressure; the other waiters each send their own request.</li>
 *   <li>a 304 to a revalidation refreshes the stale entry and every waiter gets it; a failure or 5xx
 *       with a stale entry that stale-if-error allows serves that entry.</li>
 * </ul>
 * → <em>done</em>. The fill is registered in the cache's in-flight map while waiters may join and
 * unregistered after the entry is in L1, so a request never misses both.
 *
 * <h2>Threads and buffers</h2>
 * The parent exchange and every listener call run on {@link #loop}, the owner's event loop (or any loop
 * for a background refresh). {@link #join} is called from other loops: the phase and the waiters are
 * guarded by {@code this}. Response contents received here are released after their bytes are copied
 * into the body (storing), or pass to the owner's delivery (relaying).
 */
final class Fill implements UpstreamListener {

    private static final Logger log = Logger.getLogger(Fill.class.getName());

    private enum Phase { WAITING, STORING, RELAYING, DONE }

    private final HttpCache cache;
    private final CacheRequest request;
    private final Delivery owner;
    private final CacheEntry stale;
    private final String forwardReason;
    private final boolean registered;
    private final EventLoop loop;

    // Guarded by this.
    private Phase phase = Phase.WAITING;
    private final List<Delivery> waiters = new ArrayList<>();
    private CacheEntry entry;
    private boolean tooLarge;
    /** Set by a purge of this fill's key: what it fetches is served to its readers but not stored. */
    private volatile boolean purged;

    // Confined to loop.
    private UpstreamExchange upstream;
    /** The running SHA-256 of a body whose response names one, else null. */
    private DigestCheck digestCheck;
    private long requestTime;

    /**
     * @param owner      the client whose request this is, or null for a background refresh
     * @param stale      the stored entry that could not be used (revalidated when it has validators, served
     *                   on errors when stale-if-error allows), or null
     * @param forwardReason this node's Cache-Status {@code fwd} parameter (RFC 9211 §2.2)
     * @param registered whether this fill is in the in-flight map (false for a client's own fetch)
     */
    Fill(HttpCache cache, CacheRequest request, Delivery owner, CacheEntry stale, String forwardReason,
            boolean registered, EventLoop loop) {
        this.cache = cache;
        this.forwardReason = forwardReason;
        this.request = request;
        this.owner = owner;
        this.stale = stale;
        this.registered = registered;
        this.loop = loop;
        if (owner != null) {
            waiters.add(owner);
        }
    }

    /** Sends the request. On {@link #loop}. */
    void start() {
        requestTime = cache.now();
        HttpHeaders headers = request.head().headers().copy();
        // The fill needs the whole representation: the client's own conditions are answered from the
        // entry (Delivery), not forwarded.
        headers.remove(HttpHeaderNames.IF_NONE_MATCH);
        headers.remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        headers.remove(HttpHeaderNames.IF_MATCH);
        headers.remove(HttpHeaderNames.IF_UNMODIFIED_SINCE);
        headers.remove(HttpHeaderNames.IF_RANGE);
        // A Range is answered from the whole object (Delivery), which the fill fetches once for everyone.
        headers.remove(HttpHeaderNames.RANGE);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (stale != null) {
            // Validation, RFC 9111 §4.3.1: send the stored validators.
            String etag = stale.headers.get(HttpHeaderNames.ETAG);
            String lastModified = stale.headers.get(HttpHeaderNames.LAST_MODIFIED);
            if (etag != null) {
                headers.set(HttpHeaderNames.IF_NONE_MATCH, etag);
            }
            if (lastModified != null) {
                headers.set(HttpHeaderNames.IF_MODIFIED_SINCE, lastModified);
            }
        }
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.head().uri(), headers);
        upstream = cache.upstream().send(head, loop, this);
        upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /**
     * Adds a client that missed on the same primary key. Any thread. False when it cannot share this
     * fill (it decided to relay, finished, or the response varies on a field the client sent
     * differently): then the client fetches for itself.
     */
    boolean join(Delivery delivery) {
        CacheEntry filling;
        synchronized (this) {
            if (phase == Phase.WAITING) {
                waiters.add(delivery);
                return true;
            }
            if (phase != Phase.STORING || tooLarge) {
                return false;
            }
            filling = entry;
        }
        if (!filling.key.equals(delivery.request.secondaryKey(filling.varyNames))) {
            return false;
        }
        delivery.serveEntry(filling, "fwd=miss; collapsed");
        return true;
    }

    @Override
    public void onInformational(HttpResponse response) {
        // Interim responses are not passed on for cached requests (GET has no body to continue).
    }

    @Override
    public void onResponseHead(HttpResponse response) {
        long responseTime = cache.now();
        int code = response.status().code();
        HttpHeaders received = response.headers();
        if (stale != null && code == 304) {
            // RFC 9111 §4.3.4: the 304's fields update the stored response, which is then used.
            CacheEntry refreshed = cache.refresh(stale, received, requestTime, responseTime, !purged);
            List<Delivery> all = finish(Phase.DONE);
            cache.count("revalidated");
            all.forEach(w -> w.serveEntry(refreshed, forwardReason + "; fwd-status=304"));
            return;
        }
        if (stale != null && code >= 500 && cache.staleIfErrorAllows(stale, responseTime)) {
            List<Delivery> all = finish(Phase.DONE);
            upstream.abort();
            serveStaleOnError(all, "fwd=stale; fwd-status=" + code + "; detail=stale-if-error");
            return;
        }
        CacheControl cc = CacheControl.parse(received);
        List<String> vary = CachePolicy.varyNames(received);
        long declared = HttpUtil.getContentLength(response, -1L);
        long lifetime = CachePolicy.freshnessLifetime(code, received, cc, responseTime,
                cache.maxHeuristicMillis(), cache.negativeTtlMillis());
        boolean policyAllows = CachePolicy.storable(request.head().headers(), request.cacheControl(), code, received, cc)
                && CachePolicy.worthStoring(received, lifetime);
        boolean storable = policyAllows && declared <= cache.maxObjectBytes();
        boolean sliced = policyAllows && code == 200 && declared > cache.maxObjectBytes() && Slices.sliceable(received);
        if (stale != null) {
            cache.invalidate(stale); // a new response replaces it, stored or not (RFC 9111 §4.4 in spirit)
        }
        String forwarded = stale == null ? forwardReason : forwardReason + "; fwd-status=" + code;
        if (sliced) {
            storeSliced(response, vary, responseTime, lifetime, declared, forwarded);
            return;
        }
        if (storable) {
            String key = request.secondaryKey(vary);
            HttpHeaders stored = CacheEntry.storedHeaders(received);
            boolean checked = Digests.sha256(stored) != null;
            CacheEntry filling = new CacheEntry(request.primaryKey(), key, response.status(), stored, vary,
                    requestTime, responseTime, lifetime, checked ? GrowingBody.checked() : new GrowingBody());
            GrowingBody known = checked && declared >= 0 ? cache.storedBody(filling.digest, declared) : null;
            if (known != null) {
                reuseStoredBody(filling.withBody(known), forwarded);
                return;
            }
            if (checked) {
                digestCheck = DigestCheck.of(filling.digest);
            }
            List<Delivery> all;
            synchronized (this) {
                entry = filling;
                phase = Phase.STORING;
                all = List.copyOf(waiters);
                waiters.clear();
            }
            serveWaiters(all, filling, forwarded);
            return;
        }
        // A Range client of an object too large to store asks the parent for its range itself.
        boolean tooLargeToStore = declared > cache.maxObjectBytes();
        boolean ownerForwardsItself = owner != null && tooLargeToStore && owner.wantsRange();
        List<Delivery> all = finish(ownerForwardsItself ? Phase.DONE : Phase.RELAYING);
        boolean relayed = false;
        for (Delivery w : all) {
            if ((tooLargeToStore && w.wantsRange()) || w.isHeadRequest()) {
                // Its own request: a Range of an object too large to store, or a HEAD, which must not be
                // answered with this GET's body.
                w.loop.execute(w::forwardAsIs);
            } else if (w == owner) {
                relayed = true;
                w.relayHead(upstream, response, forwarded);
            } else {
                cache.fetchAlone(w);
            }
        }
        if (!relayed) {
            upstream.abort(); // a background refresh that got something it cannot store
        }
    }

    /**
     * A large object: the head is stored at once as a sliced entry and the parent's whole response is
     * dropped; every waiter then reads the object slice by slice ({@link Slices}), each slice fetched
     * with a Range as it is first needed. The bytes already in flight are the only ones fetched twice.
     */
    private void storeSliced(HttpResponse response, List<String> vary, long responseTime, long lifetime, long length,
            String forwarded) {
        upstream.abort();
        String key = request.secondaryKey(vary);
        CacheEntry object = new CacheEntry(request.primaryKey(), key, response.status(),
                CacheEntry.storedHeaders(response.headers()), vary, requestTime, responseTime, lifetime,
                GrowingBody.completed(List.of()), length);
        if (!purged) {
            cache.store(object);
        }
        serveWaiters(finish(Phase.DONE), object, forwarded);
    }

    /**
     * The response names a digest whose body is stored already (checked when it was stored, and of the
     * announced length): the parent's copy is dropped, as for a large object, and every waiter reads the stored
     * one. This URL stores its head only.
     */
    private void reuseStoredBody(CacheEntry whole, String forwarded) {
        upstream.abort();
        cache.count("digest-body-reused");
        if (!purged) {
            cache.store(whole);
        }
        serveWaiters(finish(Phase.DONE), whole, forwarded);
    }

    /** The owner and the waiters whose Vary fields match read {@code stored}; the others fetch for themselves. */
    private void serveWaiters(List<Delivery> all, CacheEntry stored, String forwarded) {
        for (Delivery w : all) {
            if (w == owner) {
                w.serveEntry(stored, forwarded + "; stored");
            } else if (stored.key.equals(w.request.secondaryKey(stored.varyNames))) {
                w.serveEntry(stored, "fwd=miss; collapsed");
            } else {
                cache.fetchAlone(w);
            }
        }
    }

    @Override
    public void onResponseContent(HttpContent content) {
        Phase current;
        CacheEntry filling;
        synchronized (this) {
            current = phase;
            filling = entry;
        }
        boolean last = content instanceof LastHttpContent;
        if (current == Phase.RELAYING && owner != null) {
            owner.relayContent(content); // ownership passes to the owner's delivery
            if (last) {
                synchronized (this) {
                    phase = Phase.DONE;
                }
            }
            return;
        }
        if (current != Phase.STORING) {
            content.release();
            return;
        }
        try {
            if (digestCheck != null) {
                digestCheck.update(content.content());
            }
            filling.body.append(content.content());
        } finally {
            content.release();
        }
        if (!tooLarge && filling.body.length() > cache.maxObjectBytes()) {
            synchronized (this) {
                tooLarge = true; // no more joiners; the readers attached finish, nothing is stored
            }
            unregister();
        }
        if (last) {
            if (digestCheck != null && !digestCheck.matches()) {
                // Never stored, never completed: readers are cut off before the body's last piece.
                cache.count("digest-mismatch");
                log.warning(() -> "body of " + request.primaryKey() + " does not match its sha256 " + filling.digest
                        + "; not stored");
                filling.body.fail();
                finish(Phase.DONE);
                return;
            }
            if (digestCheck != null) {
                filling.body.verified(filling.digest); // so it may be stored once for every URL naming it
            }
            filling.body.complete();
            if (!tooLarge && !purged) {
                cache.store(filling);
            }
            finish(Phase.DONE);
        }
    }

    /** The key was purged while this fill ran (it is no longer registered). Any thread. */
    void purged() {
        purged = true;
        synchronized (this) {
            tooLarge = true; // no more joiners
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        // The request has no body.
    }

    @Override
    public void onFailure(UpstreamException cause) {
        Phase before;
        CacheEntry filling;
        synchronized (this) {
            before = phase;
            filling = entry;
        }
        List<Delivery> all = finish(Phase.DONE);
        switch (before) {
            case WAITING -> {
                if (stale != null && cache.staleIfErrorAllows(stale, cache.now())) {
                    serveStaleOnError(all, "fwd=stale; detail=stale-if-error");
                } else {
                    all.forEach(w -> w.fail(cause));
                }
            }
            case STORING -> filling.body.fail(); // readers see the break and cut their responses off
            case RELAYING -> {
                if (owner != null) {
                    owner.relayFailure(cause);
                }
            }
            case DONE -> {
            }
        }
    }

    private void serveStaleOnError(List<Delivery> all, String status) {
        cache.count("stale");
        all.forEach(w -> w.serveEntry(stale, status));
    }

    /** Moves to {@code next}, unregisters, and returns the waiters that had not been served. */
    private List<Delivery> finish(Phase next) {
        List<Delivery> all;
        synchronized (this) {
            phase = next;
            all = List.copyOf(waiters);
            waiters.clear();
        }
        unregister();
        return all;
    }

    private void unregister() {
        if (registered) {
            cache.unregister(request.primaryKey(), this);
        }
    }
}
