package yunjing.proxy.cache;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamExchange;
import yunjing.proxy.upstream.UpstreamListener;

/**
 * Delivers one response to one client exchange: either a stored (or filling) entry, read at the client's
 * pace and following the fill while it grows, or a parent's response relayed as it arrives when the
 * response turned out not to be storable.
 *
 * <h2>States</h2>
 * <em>waiting</em> (for a lookup or fill to decide) → <em>reading</em> an entry or <em>relaying</em> →
 * <em>done</em>; <em>aborted</em> at any time by the client side.
 *
 * <h2>Threads and buffers</h2>
 * Confined to {@link #loop}, the client's event loop: the decision may come from another loop (a fill
 * started by another client), so {@link #serveEntry} and {@link #fail} hop onto {@link #loop}, and are
 * never run inline, so the listener is never called back from inside {@code HttpCache.serve}. Body pieces
 * of an entry are heap arrays shared by all readers; each is wrapped in a new buffer whose ownership
 * passes to the listener. Relayed contents pass from the parent exchange to the listener.
 */
final class Delivery implements ResponseHandle {

    private final HttpCache cache;
    final EventLoop loop;
    final CacheRequest request;
    private final UpstreamListener listener;
    private final Runnable wakeup;

    private boolean started;
    private boolean aborted;
    private boolean paused;
    private boolean done;
    private CacheEntry entry;
    private int next;
    private UpstreamExchange relay;

    Delivery(HttpCache cache, EventLoop loop, CacheRequest request, UpstreamListener listener) {
        this.cache = cache;
        this.loop = loop;
        this.request = request;
        this.listener = listener;
        this.wakeup = () -> loop.execute(this::pump);
    }

    /** Serves {@code stored} with {@code status} as this node's Cache-Status entry. Any thread. */
    void serveEntry(CacheEntry stored, String status) {
        loop.execute(() -> startEntry(stored, status));
    }

    /** Answers with an error. Any thread. */
    void fail(UpstreamException cause) {
        loop.execute(() -> {
            if (!aborted && !started) {
                started = true;
                done = true;
                listener.onFailure(cause);
            }
        });
    }

    boolean isAborted() {
        return aborted;
    }

    private void startEntry(CacheEntry stored, String status) {
        if (aborted || started) {
            return;
        }
        started = true;
        entry = stored;
        HttpHeaders headers = new DefaultHttpHeaders().set(stored.headers);
        // The Age a cache sends is its current_age in seconds (RFC 9111 §5.1, §4.2.3).
        headers.set(HttpHeaderNames.AGE, Long.toString(stored.age(cache.now()) / 1000));
        ProxyHeaders.appendListMember(headers, ProxyHeaders.CACHE_STATUS, cache.nodeId() + "; " + status);
        if (stored.status.code() == 200 && CachePolicy.notModified(request.head().headers(), stored.headers)) {
            // The client's own validators match what we hold: 304 (RFC 9110 §13.1.1, §15.4.5).
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            finishBodyless(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED, headers));
            return;
        }
        if (stored.body.isComplete()) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(stored.body.length()));
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, stored.status, headers);
        if (request.isHead()) {
            finishBodyless(head);
            return;
        }
        listener.onResponseHead(head);
        pump();
    }

    private void finishBodyless(HttpResponse head) {
        done = true;
        listener.onResponseHead(head);
        if (!aborted) {
            listener.onResponseContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** Moves body pieces to the listener while the client can take them and they are there. */
    private void pump() {
        while (entry != null && !done && !aborted && !paused) {
            byte[] piece = entry.body.poll(next, wakeup);
            if (piece == null) {
                return; // caught up with the fill: wakeup runs when the next piece arrives
            }
            if (piece == GrowingBody.END) {
                done = true;
                listener.onResponseContent(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (piece == GrowingBody.FAILED) {
                done = true;
                listener.onFailure(new UpstreamException(UpstreamException.Kind.BROKEN,
                        "the parent's response broke off while it was being cached", null));
            } else {
                next++;
                cache.servedFromMemory(piece.length);
                // A new wrapper per reader around the shared, never-modified array; the listener owns it.
                listener.onResponseContent(new DefaultHttpContent(Unpooled.wrappedBuffer(piece)));
            }
        }
    }

    /** Relays a parent's response that is not stored: from here on this delivery forwards. On {@link #loop}. */
    void relayHead(UpstreamExchange upstream, HttpResponse response, String status) {
        relay = upstream;
        if (aborted || started) {
            upstream.abort();
            return;
        }
        started = true;
        ProxyHeaders.appendListMember(response.headers(), ProxyHeaders.CACHE_STATUS, cache.nodeId() + "; " + status);
        listener.onResponseHead(response);
        if (paused) {
            upstream.pauseResponse();
        }
    }

    /** Ownership of {@code content} passes here. On {@link #loop}. */
    void relayContent(HttpContent content) {
        if (aborted || done) {
            content.release();
            return;
        }
        if (content instanceof LastHttpContent) {
            done = true;
        }
        listener.onResponseContent(content);
    }

    void relayFailure(UpstreamException cause) {
        if (!aborted && !done) {
            done = true;
            listener.onFailure(cause);
        }
    }

    @Override
    public void pause() {
        paused = true;
        if (relay != null) {
            relay.pauseResponse();
        }
    }

    @Override
    public void resume() {
        paused = false;
        if (relay != null) {
            relay.resumeResponse();
        } else {
            pump();
        }
    }

    @Override
    public void abort() {
        aborted = true;
        if (relay != null) {
            relay.abort();
        }
    }
}
