package yunjing.proxy.upstream;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import yunjing.proxy.ParentConfig;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One request forwarded to a parent, and its response.
 *
 * <h2>Failover: when a request is tried on the next candidate</h2>
 * Candidates come from the {@link ParentSelector} (parents by rendezvous hash, then grandparents, then
 * parents marked down); a candidate whose circuit breaker refuses is skipped. A request moves on to the
 * next candidate only while that is safe, that is while no byte of the response has arrived and
 * <ul>
 *   <li>connecting failed or timed out, or writing the head failed (nothing reached that parent); or</li>
 *   <li>the connection closed before any byte of the request body was written: the parent cannot have
 *       acted on a request whose body it never got. Body pieces written before that point are kept as
 *       retained duplicates ({@link BodyReplay}) and sent again; the first successful write of a body byte
 *       (or of the end of the body) commits the request to the parent; or</li>
 *   <li>over h2, the parent refused the stream (RST_STREAM REFUSED_STREAM) or announced with GOAWAY that
 *       it will not process it (RFC 9113 §8.7): safe even after the body went out; or the connection
 *       closed before the parent's SETTINGS (no h2 there): the same parent again over HTTP/1.1; or</li>
 *   <li>the connection closed before the response, for an idempotent request without a body
 *       (RFC 9110 §9.2.2).</li>
 * </ul>
 * A reused keep-alive connection that closes that way is first retried on a fresh connection to the same
 * parent (the parent most likely closed the idle connection as we wrote, RFC 9112 §9.3.1), without
 * counting against the parent. Nothing is retried once a response byte arrived, and never after a
 * deadline. Each retry is counted by cause ({@code yunjing.proxy.upstream.retries}). The candidates and
 * the reasons they failed live in {@link FailoverCandidates}; the decision after a close in {@link SafeRetry}.
 *
 * <h2>Deadlines</h2>
 * Connect ({@code connectTimeout}), first byte, idle between response pieces and, for {@code /v1/}
 * requests, total ({@link ExchangeDeadlines}); a passed deadline fails the exchange with
 * {@link UpstreamException.Kind#TIMEOUT}.
 *
 * <h2>States</h2>
 * <em>connecting</em> (body queued) → <em>sent</em> (head written; body streams straight to the
 * connection) → <em>done</em>; or <em>failed</em>, or <em>aborted</em> by the client side. A safe
 * retry goes from <em>sent</em> back to <em>connecting</em>.
 *
 * <h2>Threads and buffers</h2>
 * Confined to the event loop of the client side ({@link #loop}); the parent connection is on the same
 * loop. Contents handed to {@link #write} belong to the exchange, which writes or releases them;
 * response contents handed to the listener belong to the listener.
 */
public final class UpstreamExchange {

    private enum State { CONNECTING, SENT, DONE, FAILED, ABORTED }

    private final UpstreamClient client;
    private final HttpRequest head;
    private final EventLoop loop;
    private final UpstreamListener listener;
    private final FailoverCandidates candidates;
    private final boolean hasBody;
    private final ExchangeDeadlines deadlines;
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private final BodyReplay replay = new BodyReplay();

    private State state = State.CONNECTING;
    /** Why the next attempt happens, counted when it does; null for the first attempt. */
    private String retryCause;
    private ChannelFuture pendingConnect;
    private UpstreamParent parent;
    /** The parent whose in-flight count includes this exchange, or null. */
    private UpstreamParent loaded;
    private Channel channel;
    private boolean reused;
    private boolean lastWritten;
    private boolean requestComplete;
    private boolean bodyCommitted;
    private boolean h2Stream;
    /** Why the parent surely did not process this h2 stream (refused_stream, goaway), or null. */
    private String notProcessed;
    private boolean anyResponse;
    private boolean informational;
    private boolean keepAlive;
    private boolean responseComplete;
    /** When the request head of the current attempt was written (for the latency timers). */
    private long headSentNanos;

    UpstreamExchange(UpstreamClient client, HttpRequest head, EventLoop loop, UpstreamListener listener,
            List<UpstreamParent> candidates) {
        this.client = client;
        this.head = head;
        this.loop = loop;
        this.listener = listener;
        this.candidates = new FailoverCandidates(candidates);
        this.hasBody = HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
        this.deadlines = new ExchangeDeadlines(loop, client.firstByteNanos(), client.idleNanos(), this::deadlinePassed);
    }

    /** The parent this exchange is committed to, or null while connecting. */
    public ParentConfig parent() {
        return state == State.CONNECTING || parent == null ? null : parent.config();
    }

    /**
     * Sends a piece of the request body; a {@link LastHttpContent} ends it. Ownership of {@code content}
     * passes to the exchange. Contents written while connecting are queued; after the exchange ended they
     * are released (the client side is discarding what is left of a body nobody wants).
     */
    public void write(HttpContent content) {
        assert loop.inEventLoop();
        switch (state) {
            case CONNECTING -> queued.add(content);
            case SENT -> {
                if (lastWritten) {
                    content.release();
                } else {
                    writeToChannel(content);
                    channel.flush();
                }
            }
            default -> content.release();
        }
    }

    /** False while connecting or while the parent connection is above its high water mark. */
    public boolean isWritable() {
        return switch (state) {
            case CONNECTING -> false;
            case SENT -> channel != null && channel.isWritable();
            default -> true;
        };
    }

    /** Stops reading the response: the client side cannot take more now (the idle deadline waits too). */
    public void pauseResponse() {
        if (state == State.SENT && channel != null) {
            channel.config().setAutoRead(false);
            deadlines.paused(true);
        }
    }

    /** Reads the response again. */
    public void resumeResponse() {
        if (state == State.SENT && channel != null) {
            channel.config().setAutoRead(true);
            deadlines.paused(false);
        }
    }

    /**
     * The client went away: closes the parent connection, which is how the cancel reaches the origin
     * over HTTP/1.1. No listener call follows. Idempotent.
     */
    public void abort() {
        assert loop.inEventLoop();
        if (!live()) {
            return;
        }
        ended(State.ABORTED);
        closeChannel();
    }

    void start() {
        if (head.uri().startsWith("/v1/")) {
            deadlines.startTotal(client.apiTotalNanos());
        }
        tryNext();
    }

    private void tryNext() {
        if (state != State.CONNECTING) {
            return;
        }
        if (client.isClosed()) {
            fail(UpstreamException.Kind.UNAVAILABLE, "proxy is shutting down", null);
            return;
        }
        UpstreamParent candidate = candidates.next();
        if (candidate == null) {
            fail(candidates.exhausted(client.hasParents()));
            return;
        }
        if (retryCause != null) {
            client.retried(retryCause);
            retryCause = null;
        }
        load(candidate);
        if (client.http2(candidate)) {
            connect(candidate, client.http2Pool().openStream(loop, candidate, client.bootstrap(loop), client));
            return;
        }
        if (!candidates.freshConnectionOnly()) {
            Channel idle = client.idle().acquire(loop, candidate.id());
            if (idle != null) {
                bind(candidate, idle, true);
                return;
            }
        }
        ChannelFuture connect = client.bootstrap(loop).connect(candidate.config().http());
        pendingConnect = connect;
        Promise<Channel> opened = loop.newPromise();
        connect.addListener((ChannelFutureListener) done -> {
            if (pendingConnect == done) {
                pendingConnect = null;
            }
            if (done.isSuccess()) {
                client.connected(done.channel());
                opened.trySuccess(done.channel());
            } else {
                opened.tryFailure(done.cause());
            }
        });
        connect(candidate, opened);
    }

    /** Binds to the connection (or h2 stream) once {@code opening} has it, or moves on if it failed. */
    private void connect(UpstreamParent trying, Future<? extends Channel> opening) {
        opening.addListener(f -> {
            Future<? extends Channel> done = opening;   // typed view of f
            if (state != State.CONNECTING) {
                if (done.isSuccess()) {
                    done.getNow().close();
                }
            } else if (done.isSuccess()) {
                bind(trying, done.getNow(), false);
            } else {
                boolean timedOut = candidates.connectFailed(trying, done.cause());
                client.connectFailed(trying);
                retryCause = timedOut ? "connect_timeout" : "connect_failure";
                tryNext();
            }
        });
    }

    private void bind(UpstreamParent candidate, Channel ch, boolean wasIdle) {
        parent = candidate;
        channel = ch;
        reused = wasIdle;
        h2Stream = ch instanceof Http2StreamChannel;
        notProcessed = null;
        ch.pipeline().get(UpstreamHandler.class).attach(this);
        // A bodiless request over h2 ends with its HEADERS frame (END_STREAM), as h2 clients send a GET:
        // as HEADERS + an empty DATA frame the parent could not tell it from a request with a body, and
        // would forward it past its cache (fwd=bypass).
        HttpRequest first = h2Stream && !hasBody ? new DefaultFullHttpRequest(head.protocolVersion(), head.method(),
                head.uri(), Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE) : head;
        ch.writeAndFlush(first).addListener((ChannelFutureListener) f -> onHeadWritten(ch, f));
    }

    private void onHeadWritten(Channel ch, ChannelFuture written) {
        if (state != State.CONNECTING || channel != ch) {
            return;
        }
        if (!written.isSuccess()) {
            // Nothing of this request reached the parent: fail over (or, for a stale pooled connection,
            // try the same parent on a fresh one).
            closeChannel();
            if (reused) {
                candidates.sameParentAgain();
                retryCause = SafeRetry.STALE_CONNECTION.cause();
            } else {
                candidates.failed(parent, UpstreamException.describe(written.cause()));
                client.connectFailed(parent);
                retryCause = "write_failure";
            }
            tryNext();
            return;
        }
        state = State.SENT;
        headSentNanos = System.nanoTime();
        if (h2Stream && !hasBody) {
            // The HEADERS frame ended the stream: the end marker queued behind it has nothing left to say.
            releaseAll(queued);
            lastWritten = true;
            requestSent();
            return;
        }
        HttpContent content;
        while ((content = queued.poll()) != null) {
            writeToChannel(content);
        }
        ch.flush();
        if (!lastWritten) {
            listener.onWritabilityChanged(ch.isWritable());
        }
    }

    private void writeToChannel(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        boolean commits = hasBody && !bodyCommitted && (last || content.content().isReadable());
        if (hasBody && (!bodyCommitted || h2Stream)) {
            replay.keep(content);
        }
        Channel ch = channel;
        // Ownership passes to the channel: the encoder releases the content once written or failed.
        ChannelFuture f = channel.write(content);
        f.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (commits) {
            f.addListener((ChannelFutureListener) done -> {
                if (done.isSuccess() && channel == ch) {
                    commitBody();
                }
            });
        }
        if (last) {
            lastWritten = true;
            f.addListener((ChannelFutureListener) done -> {
                if (done.isSuccess() && channel == ch) {
                    requestSent();
                }
            });
        }
    }

    /** The whole request reached the parent. */
    private void requestSent() {
        requestComplete = true;
        deadlines.requestSent();
        maybeFinish();
    }

    /** A body byte is on its way to the parent: from now on the request belongs to it. */
    private void commitBody() {
        bodyCommitted = true;
        if (!h2Stream) {
            replay.drop();
        }
    }

    /** From {@link UpstreamHandler}: the parent will surely not process this h2 stream. */
    void onStreamNotProcessed(String cause) {
        if (!anyResponse) {
            notProcessed = cause;
        }
    }

    /** From {@link UpstreamHandler}: an object of the parent's response; ownership passes here. */
    void onResponseObject(Object msg) {
        if (state != State.SENT || !(msg instanceof HttpObject object)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (object.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            parent.breaker().onFailure();
            fail(UpstreamException.Kind.BROKEN, "malformed response from parent " + parent.id(),
                    object.decoderResult().cause());
            return;
        }
        if (!anyResponse) {
            anyResponse = true;
            parent.breaker().onSuccess();
            replay.drop();
        }
        deadlines.responseActivity();
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code == 101) {
                // We never offer an upgrade upstream (Upgrade is stripped), so a 101 is a protocol error.
                ReferenceCountUtil.release(msg);
                fail(UpstreamException.Kind.BROKEN, "unexpected 101 from parent " + parent.id(), null);
                return;
            }
            if (code >= 100 && code < 200) {
                informational = true;
                listener.onInformational(response);
            } else {
                keepAlive = HttpUtil.isKeepAlive(response);
                client.responseHead(parent, head, System.nanoTime() - headSentNanos);
                listener.onResponseHead(response);
            }
        }
        if (msg instanceof HttpContent content) {
            if (informational || state != State.SENT) {
                // The end of an interim response (it has no body), or the listener gave up meanwhile.
                if (content instanceof LastHttpContent) {
                    informational = false;
                }
                content.release();
                return;
            }
            boolean last = content instanceof LastHttpContent;
            if (last) {
                client.responseEnded(parent, System.nanoTime() - headSentNanos);
            }
            listener.onResponseContent(content);
            if (last && state == State.SENT) {
                responseComplete = true;
                maybeFinish();
            }
        }
    }

    void onChannelWritabilityChanged(boolean writable) {
        if (state == State.SENT && !lastWritten) {
            listener.onWritabilityChanged(writable);
        }
    }

    /** From {@link UpstreamHandler}: the bound connection closed. */
    void onChannelClosed(Channel ch) {
        if (ch != channel || state != State.SENT) {
            // While connecting, the failed head write decides what happens next.
            return;
        }
        channel = null;
        if (responseComplete) {
            ended(State.DONE);
            return;
        }
        SafeRetry retry = anyResponse ? null : SafeRetry.afterClose(head.method(), hasBody, bodyCommitted,
                replay.complete(), reused, h2Stream,
                h2Stream && Boolean.TRUE.equals(ch.parent().attr(Http2ParentConnection.SETTINGS_SEEN).get()),
                notProcessed);
        if (retry == null) {
            parent.breaker().onFailure();
            fail(UpstreamException.Kind.BROKEN, "connection to parent " + parent.id() + " closed "
                    + (anyResponse ? "in the middle of the response" : "before the response"), null);
            return;
        }
        if (retry == SafeRetry.NO_HTTP2) {
            client.http2Pool().noHttp2(parent.id());
        }
        if (retry.parentFailed()) {
            parent.breaker().onFailure();
            candidates.failed(parent, "connection closed before the response");
        }
        retry(retry.sameParent(), retry.cause());
    }

    /** Back to connecting: the same parent on a fresh connection, or the next candidate. */
    private void retry(boolean sameParent, String cause) {
        state = State.CONNECTING;
        deadlines.attemptEnded();
        if (sameParent) {
            candidates.sameParentAgain();
        }
        retryCause = cause;
        // What the closed connection took goes again, in order: the kept body pieces, or the end marker
        // of a bodyless request. Nothing newer is queued: in the sent state the body went to the channel.
        replay.moveTo(queued);
        if (!hasBody && lastWritten) {
            queued.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        boolean bodyStillComing = !lastWritten && hasBody;
        lastWritten = false;
        requestComplete = false;
        if (bodyStillComing) {
            listener.onWritabilityChanged(false);   // hold the client's body until the next parent takes it
        }
        tryNext();
    }

    private void deadlinePassed(ExchangeDeadlines.Deadline deadline) {
        if (!live()) {
            return;
        }
        client.deadlinePassed(deadline);
        UpstreamParent at = state == State.SENT ? parent : null;
        if (at != null && deadline != ExchangeDeadlines.Deadline.TOTAL) {
            at.breaker().onFailure();
        }
        fail(UpstreamException.Kind.TIMEOUT, deadline.words + " deadline of " + client.deadlineText(deadline)
                + " passed" + (at != null ? " waiting for parent " + at.id() : " while connecting"), null);
    }

    private void maybeFinish() {
        if (state != State.SENT || !responseComplete) {
            return;
        }
        if (!requestComplete) {
            if (!lastWritten) {
                // The parent answered before taking the whole body: the connection's framing is now
                // unknown, so it is closed rather than reused; the rest of the body is discarded.
                ended(State.DONE);
                closeChannel();
            }
            // else: the last write is being flushed; its listener calls back here.
            return;
        }
        ended(State.DONE);
        Channel ch = channel;
        channel = null;
        boolean detached = detachFrom(ch);
        ch.config().setAutoRead(true);
        if (keepAlive && detached && !h2Stream && !client.isClosed()) {
            client.idle().release(ch, parent.id());
        } else {
            ch.close();
        }
    }

    private void fail(UpstreamException.Kind kind, String message, Throwable cause) {
        fail(new UpstreamException(kind, message, cause));
    }

    private void fail(UpstreamException failure) {
        ended(State.FAILED);
        closeChannel();
        listener.onFailure(failure);
    }

    /** Not yet in a final state. */
    private boolean live() {
        return state == State.CONNECTING || state == State.SENT;
    }

    /** Enters a final state: timers off, held buffers released, the parent's load count given back. */
    private void ended(State end) {
        state = end;
        deadlines.cancel();
        releaseAll(queued);
        replay.drop();
        if (loaded != null) {
            loaded.exchangeEnded();
            loaded = null;
        }
        if (pendingConnect != null) {
            pendingConnect.channel().close();
            pendingConnect = null;
        }
    }

    /** Counts this exchange on {@code candidate} (and no longer on the previous one). */
    private void load(UpstreamParent candidate) {
        if (loaded != candidate) {
            if (loaded != null) {
                loaded.exchangeEnded();
            }
            candidate.exchangeStarted();
            loaded = candidate;
        }
    }

    private void closeChannel() {
        Channel ch = channel;
        channel = null;
        if (ch != null) {
            detachFrom(ch);
            ch.close();
        }
    }

    /** Detaches from the connection's handler; false if it has none left (the connection is closing). */
    private boolean detachFrom(Channel ch) {
        UpstreamHandler handler = ch.pipeline().get(UpstreamHandler.class);
        if (handler != null) {
            handler.detach(this);
        }
        return handler != null;
    }

    private static void releaseAll(ArrayDeque<HttpContent> contents) {
        HttpContent content;
        while ((content = contents.poll()) != null) {
            content.release();
        }
    }
}
