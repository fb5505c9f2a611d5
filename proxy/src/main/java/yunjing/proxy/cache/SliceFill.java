package yunjing.proxy.cache;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamExchange;
import yunjing.proxy.upstream.UpstreamListener;

import java.util.Objects;
import java.util.logging.Logger;

/**
 * One slice of a large object fetched from the parent with {@code Range: bytes=first-last} and stored
 * ({@link Slices}). Readers follow {@link #slice} while it fills.
 *
 * <h2>Checks</h2>
 * The slice is trusted only when the answer is a 206 whose {@code Content-Range} is exactly the slice and
 * the object's length, and whose validator (strong ETag, else Last-Modified) is the object's; its body must
 * be exactly the slice's length. The body is {@linkplain GrowingBody#checked() checked}: its last piece
 * reaches readers only after these checks pass, so nobody receives a whole slice that failed. A mismatch
 * means the object changed at the parent (or the parent cannot serve ranges): the sliced entry is
 * invalidated, readers are cut off, and the next request fetches the object anew.
 *
 * <h2>Threads</h2>
 * Everything runs on {@link #loop}, the event loop of the reader that started the fill, except
 * {@link #purged}.
 */
final class SliceFill implements UpstreamListener {

    private static final Logger log = Logger.getLogger(SliceFill.class.getName());

    final CacheEntry slice;
    private final HttpCache cache;
    private final Slices slices;
    private final CacheEntry object;
    private final CacheRequest request;
    private final long first;
    private final long length;
    private final EventLoop loop;

    private UpstreamExchange upstream;
    /** Set once this fill's bytes are given back to the node's {@link SliceBudget} (any thread). */
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    private boolean accepted;
    private boolean finished;
    private volatile boolean purged;

    SliceFill(HttpCache cache, Slices slices, CacheEntry object, CacheRequest request, String key, long first,
            long length, EventLoop loop) {
        this.cache = cache;
        this.slices = slices;
        this.object = object;
        this.request = request;
        this.first = first;
        this.length = length;
        this.loop = loop;
        HttpHeaders headers = object.headers.copy()
                .set(HttpHeaderNames.CONTENT_RANGE, contentRange())
                .set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
        this.slice = new CacheEntry(Slices.primary(object), key, HttpResponseStatus.PARTIAL_CONTENT, headers,
                object.varyNames, object.requestTime, object.responseTime, object.lifetime, GrowingBody.checked());
    }

    private String contentRange() {
        return "bytes " + first + "-" + (first + length - 1) + "/" + object.slicedLength;
    }

    /** Sends the range request. On {@link #loop}. */
    void start() {
        HttpHeaders headers = request.head().headers().copy();
        for (CharSequence name : new CharSequence[] {HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE,
                HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE, HttpHeaderNames.IF_RANGE,
                HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING}) {
            headers.remove(name);
        }
        headers.set(HttpHeaderNames.RANGE, "bytes=" + first + "-" + (first + length - 1));
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.head().uri(), headers);
        upstream = cache.upstream().send(head, loop, this);
        upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Override
    public void onInformational(HttpResponse response) {
    }

    @Override
    public void onResponseHead(HttpResponse response) {
        HttpHeaders received = response.headers();
        String problem;
        if (response.status().code() != 206) {
            problem = "answered " + response.status().code() + " to a slice range";
        } else if (!contentRange().equals(received.get(HttpHeaderNames.CONTENT_RANGE))) {
            problem = "Content-Range " + received.get(HttpHeaderNames.CONTENT_RANGE) + ", expected " + contentRange();
        } else if (!Objects.equals(Slices.validator(object.headers), Slices.validator(received))) {
            problem = "validator " + Slices.validator(received) + ", the object's is " + Slices.validator(object.headers);
        } else {
            accepted = true;
            return;
        }
        // The object changed at the parent, or the parent cannot serve ranges of it: drop what we hold.
        log.fine(() -> "slice of " + object.primaryKey + " refused: " + problem);
        cache.count("slice-mismatch");
        cache.invalidate(object);
        fail();
    }

    @Override
    public void onResponseContent(HttpContent content) {
        try {
            if (!accepted || finished) {
                return;
            }
            slice.body.append(content.content());
            if (slice.body.length() > length) {
                cache.count("slice-mismatch");
                fail();
                return;
            }
            if (content instanceof LastHttpContent) {
                if (slice.body.length() != length) {
                    cache.count("slice-mismatch");
                    fail();
                    return;
                }
                finished = true;
                slice.body.complete();
                slices.unregister(slice.key, this);
                if (purged) {
                    release();
                } else {
                    cache.storeSlice(slice, this::release); // the budget is given back once it is on disk
                }
            }
        } finally {
            content.release();
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        // The request has no body.
    }

    @Override
    public void onFailure(UpstreamException cause) {
        if (!finished) {
            finished = true;
            slice.body.fail();
            slices.unregister(slice.key, this);
            release();
        }
    }

    private void fail() {
        if (!finished) {
            finished = true;
            slice.body.fail();
            slices.unregister(slice.key, this);
            release();
            upstream.abort();
        }
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            cache.sliceBudget().give(length);
        }
    }

    /** Its key was purged while it ran. Any thread. */
    void purged() {
        purged = true;
    }
}
