package yunjing.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import yunjing.proxy.ParentConfig;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * One request forwarded to a parent, and its response.
 *
 * <h2>Failover</h2>
 * Candidates are tried in order. A candidate is skipped when connecting fails, or when the connection
 * dies before the request head was written (nothing of the request has reached that parent, so the
 * next one may get it). The body is held back ({@link #queued}) until the head is written, so nothing
 * is lost by a failover. Once the head is out the exchange is committed to that parent, with one
 * exception: a reused keep-alive connection that closes before any response byte, for a request that
 * is idempotent and has no body, is retried once on a fresh connection to the same parent — the parent
 * most likely closed the idle connection as we wrote (RFC 9110 §9.2.2, RFC 9112 §9.3.1). Nothing is
 * retried after a response byte arrived.
 *
 * <h2>States</h2>
 * <em>connecting</em> (body queued) → <em>sent</em> (head written; body streams straight to the
 * connection) → <em>done</em>; or <em>failed</em>, or <em>aborted</em> by the client side.
 *
 * <h2>Threads and buffers</h2>
 * Confined to the event loop of the client side ({@link #loop}); the parent connection is on the same
 * loop. Contents handed to {@link #write} belong to the exchange, which writes or releases them;
 * response contents handed to the listener belong to the listener.
 */
public final class UpstreamExchange {

    private enum State { CONNECTING, SENT, DONE, FAILED, ABORTED }

    /** Methods whose requests may be repeated automatically: https://www.rfc-editor.org/rfc/rfc9110#section-9.2.2 */
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private final UpstreamClient client;
    private final HttpRequest head;
    private final EventLoop loop;
    private final UpstreamListener listener;
    private final List<ParentConfig> candidates;
    private final boolean retryableOnStale;
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private final StringJoiner reasons = new StringJoiner("; ");

    private State state = State.CONNECTING;
    private int nextCandidate;
    private int connectAttempts;
    private int connectTimeouts;
    private boolean freshConnectionOnly;
    private ChannelFuture pendingConnect;
    private ParentConfig parent;
    private Channel channel;
    private boolean reused;
    private boolean lastWritten;
    private boolean requestComplete;
    private boolean anyResponse;
    private boolean informational;
    private boolean keepAlive;
    private boolean responseComplete;

    UpstreamExchange(UpstreamClient client, HttpRequest head, EventLoop loop, UpstreamListener listener,
            List<ParentConfig> candidates) {
        this.client = client;
        this.head = head;
        this.loop = loop;
        this.listener = listener;
        this.candidates = candidates;
        this.retryableOnStale = IDEMPOTENT.contains(head.method())
                && !HttpUtil.isTransferEncodingChunked(head)
                && HttpUtil.getContentLength(head, 0L) == 0L;
    }

    /** The parent this exchange is committed to, or null while connecting. */
    public ParentConfig parent() {
        return state == State.CONNECTING ? null : parent;
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

    /** Stops reading the response: the client side cannot take more now. */
    public void pauseResponse() {
        if (state == State.SENT && channel != null) {
            channel.config().setAutoRead(false);
        }
    }

    /** Reads the response again. */
    public void resumeResponse() {
        if (state == State.SENT && channel != null) {
            channel.config().setAutoRead(true);
        }
    }

    /**
     * The client went away: closes the parent connection, which is how the cancel reaches the origin
     * over HTTP/1.1. No listener call follows. Idempotent.
     */
    public void abort() {
        assert loop.inEventLoop();
        if (state == State.DONE || state == State.FAILED || state == State.ABORTED) {
            return;
        }
        state = State.ABORTED;
        releaseQueued();
        if (pendingConnect != null) {
            pendingConnect.channel().close();
            pendingConnect = null;
        }
        closeChannel();
    }

    void start() {
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
        if (nextCandidate >= candidates.size()) {
            allCandidatesFailed();
            return;
        }
        ParentConfig candidate = candidates.get(nextCandidate++);
        if (!freshConnectionOnly) {
            Channel idle = client.idle().acquire(loop, candidate.id());
            if (idle != null) {
                bind(candidate, idle, true);
                return;
            }
        }
        freshConnectionOnly = false;
        ChannelFuture connect = client.bootstrap(loop).connect(candidate.http());
        pendingConnect = connect;
        connect.addListener((ChannelFutureListener) done -> {
            if (pendingConnect == done) {
                pendingConnect = null;
            }
            if (state != State.CONNECTING) {
                done.channel().close();
            } else if (done.isSuccess()) {
                client.connected(done.channel());
                bind(candidate, done.channel(), false);
            } else {
                connectAttempts++;
                if (done.cause() instanceof ConnectTimeoutException) {
                    connectTimeouts++;
                }
                // Ids only: the reasons end up in the error a client sees, the addresses do not belong there.
                reasons.add(candidate.id() + ": " + describe(done.cause()));
                client.connectFailed(candidate.id());
                tryNext();
            }
        });
    }

    private void bind(ParentConfig candidate, Channel ch, boolean wasIdle) {
        parent = candidate;
        channel = ch;
        reused = wasIdle;
        ch.pipeline().get(UpstreamHandler.class).attach(this);
        ch.writeAndFlush(head).addListener((ChannelFutureListener) f -> onHeadWritten(ch, f));
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
                nextCandidate--;
                freshConnectionOnly = true;
            } else {
                reasons.add(parent.id() + ": " + describe(written.cause()));
                client.connectFailed(parent.id());
            }
            tryNext();
            return;
        }
        state = State.SENT;
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
        // Ownership passes to the channel: the encoder releases the content once written or failed.
        ChannelFuture f = channel.write(content);
        f.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (last) {
            lastWritten = true;
            Channel ch = channel;
            f.addListener((ChannelFutureListener) done -> {
                if (done.isSuccess() && channel == ch) {
                    requestComplete = true;
                    maybeFinish();
                }
            });
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
            fail(UpstreamException.Kind.BROKEN, "malformed response from parent " + parent.id(),
                    object.decoderResult().cause());
            return;
        }
        anyResponse = true;
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
            state = State.DONE;
        } else if (reused && retryableOnStale && !anyResponse) {
            state = State.CONNECTING;
            nextCandidate--;
            freshConnectionOnly = true;
            if (lastWritten) {
                queued.add(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            lastWritten = false;
            requestComplete = false;
            tryNext();
        } else {
            fail(UpstreamException.Kind.BROKEN, "connection to parent " + parent.id() + " closed "
                    + (anyResponse ? "in the middle of the response" : "before the response"), null);
        }
    }

    private void maybeFinish() {
        if (state != State.SENT || !responseComplete) {
            return;
        }
        if (!requestComplete) {
            if (!lastWritten) {
                // The parent answered before taking the whole body: the connection's framing is now
                // unknown, so it is closed rather than reused; the rest of the body is discarded.
                state = State.DONE;
                releaseQueued();
                closeChannel();
            }
            // else: the last write is being flushed; its listener calls back here.
            return;
        }
        state = State.DONE;
        Channel ch = channel;
        channel = null;
        UpstreamHandler handler = ch.pipeline().get(UpstreamHandler.class);
        if (handler != null) {
            handler.detach(this);
        }
        ch.config().setAutoRead(true);
        if (keepAlive && handler != null && !client.isClosed()) {
            client.idle().release(ch, parent.id());
        } else {
            ch.close();
        }
    }

    private void allCandidatesFailed() {
        if (candidates.isEmpty()) {
            fail(UpstreamException.Kind.UNAVAILABLE, "no parents configured", null);
        } else if (connectAttempts > 0 && connectTimeouts == connectAttempts) {
            fail(UpstreamException.Kind.CONNECT_TIMEOUT, "connecting to parents timed out: " + reasons, null);
        } else {
            fail(UpstreamException.Kind.UNAVAILABLE, "no parent reachable: " + reasons, null);
        }
    }

    private void fail(UpstreamException.Kind kind, String message, Throwable cause) {
        state = State.FAILED;
        releaseQueued();
        closeChannel();
        listener.onFailure(new UpstreamException(kind, message, cause));
    }

    private void closeChannel() {
        Channel ch = channel;
        channel = null;
        if (ch != null) {
            UpstreamHandler handler = ch.pipeline().get(UpstreamHandler.class);
            if (handler != null) {
                handler.detach(this);
            }
            ch.close();
        }
    }

    private void releaseQueued() {
        HttpContent content;
        while ((content = queued.poll()) != null) {
            content.release();
        }
    }

    /** A short reason without addresses (Netty's connect exceptions name them). */
    private static String describe(Throwable cause) {
        if (cause == null) {
            return "closed";
        }
        if (cause instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        if (cause instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (cause instanceof java.nio.channels.ClosedChannelException) {
            return "connection closed";
        }
        return cause.getClass().getSimpleName();
    }
}
