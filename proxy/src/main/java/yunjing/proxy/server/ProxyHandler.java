package yunjing.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.cache.FileRegionSink;
import yunjing.proxy.cache.ResponseHandle;
import yunjing.proxy.cache.UnsafeInvalidation;
import yunjing.proxy.http.ErrorResponses;
import yunjing.proxy.http.HopByHopHeaders;
import yunjing.proxy.http.PipelineNames;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.llm.ApiCall;
import yunjing.proxy.llm.ApiRequests;
import yunjing.proxy.llm.Rejection;
import yunjing.proxy.upstream.SessionAffinity;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamExchange;
import yunjing.proxy.upstream.UpstreamListener;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Forwards the requests of one HTTP/1.1 connection, or of one HTTP/2 stream (then converted to HTTP
 * objects by {@code Http2StreamFrameToHttpObjectCodec}), to the parents, and relays the responses.
 *
 * <h2>Streaming and backpressure</h2>
 * Nothing is aggregated: each request content is written upstream as it arrives and each response
 * content is written and flushed to the client as it arrives, so server-sent events pass one by one
 * ({@link ClientFlushes} merges the flushes of one event loop task into one socket write).
 * Each direction stops reading its source while its destination is not writable and resumes on the
 * writability change (the pattern of Netty's HexDumpProxy), which bounds memory per exchange.
 *
 * <h2>Exchanges</h2>
 * One {@link Exchange} at a time. HTTP/1.1 requests pipelined behind it (RFC 9112 §9.3.2) wait in
 * {@link #backlog}, in order, and the connection stops reading when the backlog is full.
 * If the client goes away (connection closed, h2 stream reset) the upstream connection is closed, which
 * is how the cancel reaches the origin.
 *
 * <h2>Threads and buffers</h2>
 * Runs on the channel's event loop, as does the upstream side of its exchange. Messages in the backlog
 * are owned by this handler until dispatched or released on close; contents passed to
 * {@link UpstreamExchange#write} and response contents written to the channel change owner there.
 *
 * <h2>API edge</h2>
 * A {@code /v1/} request is an {@link ApiCall}, which decides (on a node with API keys) before anything goes
 * upstream: known path, key and plan limits (a concurrency slot held until the exchange ends or the client
 * goes away); for {@code POST /v1/chat/completions} the body is aggregated up to
 * {@link ApiAccess#MAX_CHAT_BODY_BYTES} and handed to {@link ApiCall#prepare} (validation, answer cache)
 * before the upstream exchange starts. Only that one body is aggregated; everything else streams as above,
 * response contents passing through {@link ApiCall#responseContent} (usage, answers to store).
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = Logger.getLogger(ProxyHandler.class.getName());

    /** Pipelined HTTP/1.1 messages held while an exchange runs; beyond this the connection stops reading. */
    static final int MAX_BACKLOG = 16;

    private final Forwarding forwarding;
    private final String scheme;
    /** The client's connection is TLS (an SslHandler in the pipeline): known from the scheme, not looked up per request. */
    private final boolean tls;
    private final boolean http2;
    private final UpstreamHeads upstreamHeads;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Exchange current;
    private boolean closing;   // an answer that ends with closing the connection is on its way
    private boolean inactive;

    /**
     * @param scheme {@code http} or {@code https}: what the client used, for {@code Forwarded: proto=}
     * @param http2  whether this handler serves one HTTP/2 stream (else an HTTP/1.x connection)
     */
    ProxyHandler(Forwarding forwarding, String scheme, boolean http2) {
        this.forwarding = forwarding;
        this.scheme = scheme;
        this.tls = scheme.equals("https");
        this.http2 = http2;
        this.upstreamHeads = new UpstreamHeads(forwarding, scheme, http2);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (current != null && current.wantsBody() && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
            current.body(content);
        } else if (current != null || !backlog.isEmpty()) {
            backlog.add(msg);
            updateAutoRead();
        } else {
            dispatch(msg);
        }
    }

    /** Handles a message that is not part of the body of a running exchange. Takes ownership of msg. */
    private void dispatch(Object msg) {
        if (closing) {
            // Requests behind one whose answer closes the connection are not served (RFC 9112 §9.6).
            ReferenceCountUtil.release(msg);
        } else if (msg instanceof HttpRequest request) {
            current = new Exchange(request);
            current.start(request);
        } else {
            // The rest of a body whose exchange already ended (answered early, or failed): discarded.
            ReferenceCountUtil.release(msg);
        }
        updateAutoRead();
    }

    private void exchangeEnded(Exchange exchange) {
        if (current != exchange) {
            return;
        }
        current = null;
        Object msg;
        while (!inactive && (msg = backlog.peek()) != null) {
            if (current != null && !(current.wantsBody() && msg instanceof HttpContent && !(msg instanceof HttpRequest))) {
                break;
            }
            backlog.poll();
            if (current != null) {
                current.body((HttpContent) msg);
            } else {
                dispatch(msg);
            }
        }
        updateAutoRead();
    }

    /** Reads from the client unless the backlog is full or the request body has nowhere to go yet. */
    private void updateAutoRead() {
        if (inactive) {
            return;
        }
        boolean read = backlog.size() < MAX_BACKLOG
                && (current == null || !current.wantsBody() || current.upstreamWritable());
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.clientWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        Exchange exchange = current;
        current = null;
        if (exchange != null) {
            exchange.clientGone();
        }
        Object msg;
        while ((msg = backlog.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.log(Level.FINE, "client channel " + ctx.channel() + " failed", cause);
        ctx.close();
    }

    /** One request and its response. Confined to the event loop. */
    private final class Exchange implements UpstreamListener, FileRegionSink {

        private final String requestId;
        private final HttpVersion clientVersion;
        private final HttpMethod method;
        private UpstreamExchange upstream;
        /** Set when the cache answers (hit, fill, relay); then {@link #upstream} stays null. */
        private ResponseHandle cached;
        /** Host and target of a request forwarded past the cache, for RFC 9111 §4.4 invalidation. */
        private String bypassHost;
        private String bypassTarget;
        private boolean requestDone;
        private boolean responseStarted;
        private boolean eventStream;   // the response is SSE of unknown length (see BrokenResponse)
        private boolean ended;
        /** An API exchange (its key's slot, usage, answer cache); ended in {@link #end()} or {@link #clientGone()}. */
        private ApiCall call;
        /** A chat completion body being aggregated for validation; owned here until forwarded or released. */
        private HeldBody held;
        /** For the access log and the fill meters; finished exactly once, in {@link #end()} or {@link #clientGone()}. */
        private final ExchangeRecord record;
        private boolean broken;

        Exchange(HttpRequest request) {
            this.requestId = ProxyHeaders.requestId(request.headers());
            this.clientVersion = request.protocolVersion();
            this.method = request.method();
            this.record = new ExchangeRecord(requestId, request);
        }

        boolean wantsBody() {
            return !requestDone && !ended;
        }

        boolean upstreamWritable() {
            // A cached request's body (there is none) is discarded, so reading never waits for it.
            return held != null || cached != null || (upstream != null && upstream.isWritable());
        }

        /** Takes ownership of request (and of its content when it is a full request). */
        void start(HttpRequest request) {
            HttpRequest head;
            try {
                head = upstreamHeads.of(request, requestId, ctx.channel().remoteAddress());
            } catch (BadRequestException e) {
                requestDone = request instanceof LastHttpContent;
                ReferenceCountUtil.release(request);
                // After a malformed request the HTTP/1.1 decoder discards the rest of the connection, and a
                // refused request may still have a body coming: close rather than guess (RFC 9112 §9.6).
                respondWithError(ErrorResponses.error(ctx.alloc(), e.refusal.status(), e.getMessage(),
                        "invalid_request_error", e.refusal.code()), true);
                return;
            }
            record.forwarded(head.headers());
            call = forwarding.api().open(method, head, HttpUtil.getContentLength(request, -1L));
            if (call != null) {
                Rejection refusal = call.rejection();
                if (refusal != null) {
                    call = null;
                    requestDone = request instanceof LastHttpContent;
                    ReferenceCountUtil.release(request);
                    respondWithError(refusal.toResponse(ctx.alloc()), false);
                    return;
                }
                if (call.holdsBody()) {
                    held = new HeldBody(ctx.alloc(), head);
                    if (request instanceof FullHttpRequest full) {
                        body(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
                    }
                    return;
                }
            }
            send(head);
            if (request instanceof FullHttpRequest full) {
                // The full request's buffer moves into a plain last content: one reference, one owner.
                LastHttpContent last = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
                body(last);
            }
        }

        private void send(HttpRequest head) {
            cached = forwarding.cache().serve(head, ctx.channel().eventLoop(), this, takesFileRegions() ? this : null);
            if (cached == null) {
                forwarding.metrics().cacheResult("bypass");
                bypassHost = head.headers().get(HttpHeaderNames.HOST);
                bypassTarget = head.uri();
                upstream = forwarding.upstream().send(head, ctx.channel().eventLoop(), this);
            }
        }

        /**
         * Whether cached bodies in L2 files may go out by sendfile: a plaintext HTTP/1.x connection (TLS
         * encrypts and h2 frames every byte) and no API call (which reads the response's contents).
         */
        private boolean takesFileRegions() {
            return !http2 && call == null && !tls;
        }

        @Override
        public ChannelFuture onResponseRegion(FileRegion region) {
            if (ended) {
                region.release();
                return ctx.newFailedFuture(new ClosedChannelException());
            }
            record.body(region.count());
            return ctx.writeAndFlush(region);
        }

        /** Adds to the aggregated chat body; at its end validates it and starts the upstream exchange. */
        private void hold(HttpContent content) {
            if (!held.add(content)) {
                // Nothing of it went upstream.
                held = null;
                Rejection refusal = ApiRequests.tooLarge();
                forwarding.api().gate().rejected(refusal.reason());
                respondWithError(refusal.toResponse(ctx.alloc()), true);
                return;
            }
            if (!requestDone) {
                return;
            }
            HttpRequest head = held.head();
            ApiCall.Forward next = call.prepare(held.take(), ctx.alloc());
            held = null;
            if (next.answer() != null) {
                // A 400, or an answer of the answer cache: nothing goes upstream.
                respondWithError(next.answer(), false);
                return;
            }
            ByteBuf body = next.body();
            head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            HttpUtil.setContentLength(head, body.readableBytes());
            SessionAffinity.tag(head.headers(), body);   // a conversation keeps its parent
            send(head);
            if (upstream != null) {
                upstream.write(new DefaultLastHttpContent(body));
            } else {
                body.release();
            }
        }

        private void releaseHeld() {
            if (held != null) {
                held.release();
                held = null;
            }
        }

        /** Takes ownership of content. */
        void body(HttpContent content) {
            if (content instanceof LastHttpContent) {
                requestDone = true;
            }
            if (!ended && held != null) {
                hold(content);
                return;
            }
            if (ended || upstream == null) {
                content.release();
                return;
            }
            upstream.write(content);
        }

        @Override
        public void onInformational(HttpResponse response) {
            if (ended || clientVersion.equals(HttpVersion.HTTP_1_0)) {
                // No 1xx to an HTTP/1.0 client (RFC 9110 §15.2).
                return;
            }
            HopByHopHeaders.strip(response.headers());
            // Both the HTTP/1.1 encoder and the h2 stream codec take an interim response as one full message.
            FullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                    Unpooled.EMPTY_BUFFER, response.headers(), EmptyHttpHeaders.INSTANCE);
            ctx.writeAndFlush(interim);
        }

        @Override
        public void onResponseHead(HttpResponse response) {
            if (ended) {
                return;
            }
            HttpHeaders headers = response.headers();
            boolean lengthKnown = ClientResponseHead.prepare(response, forwarding.nodeId(), requestId, cached == null,
                    method, clientVersion);
            int code = response.status().code();
            if (cached == null && call == null && UnsafeInvalidation.isUnsafe(method) && UnsafeInvalidation.invalidates(code)) {
                // A POST/PUT/DELETE… that succeeded changed its target: what is stored for it is stale.
                forwarding.cache().invalidateAfterUnsafe(bypassHost, bypassTarget, response.headers());
            }
            responseStarted = true;
            eventStream = BrokenResponse.isOpenEventStream(headers, lengthKnown);
            forwarding.metrics().response(code);
            if (call != null) {
                call.responseHead(response);
            }
            record.responseHead(code, headers, forwarding.nodeId());
            ctx.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers));
        }

        @Override
        public void onResponseContent(HttpContent content) {
            if (ended) {
                content.release();
                return;
            }
            // Ownership passes to the client channel; each piece is flushed at once (SSE must not wait).
            HttpContent out = call == null ? content : call.responseContent(content);
            record.body(out.content().readableBytes());
            ctx.writeAndFlush(out);
            if (content instanceof LastHttpContent) {
                end();
            } else if (!ctx.channel().isWritable()) {
                if (cached != null) {
                    cached.pause();
                } else {
                    upstream.pauseResponse();
                }
            }
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
            updateAutoRead();
        }

        @Override
        public void onFailure(UpstreamException cause) {
            if (ended) {
                return;
            }
            log.log(Level.FINE, () -> forwarding.nodeId() + " request " + requestId + " failed: " + cause.getMessage());
            String message = "upstream of " + forwarding.nodeId() + " failed: " + cause.getMessage();
            if (responseStarted) {
                // Part of the response is out: an SSE stream gets an error event, anything else is cut off.
                BrokenResponse.end(ctx, eventStream, http2, cause, message);
                broken = true;
                end();
                return;
            }
            respondWithError(cause.isTimeout() ? ErrorResponses.gatewayTimeout(ctx.alloc(), message)
                    : ErrorResponses.badGateway(ctx.alloc(), message), false);
        }

        /** Sends a response of the proxy's own and ends the exchange. Takes ownership of error. */
        private void respondWithError(FullHttpResponse error, boolean closeConnection) {
            error.headers().set(ProxyHeaders.X_REQUEST_ID, requestId);
            ProxyHeaders.appendListMember(error.headers(), HttpHeaderNames.VIA, (http2 ? "2" : "1.1") + " " + forwarding.nodeId());
            boolean closeAfter = !http2 && (closeConnection || !requestDone);
            if (closeAfter) {
                // An unread body is not worth reading; the connection cannot be reused without it.
                error.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            responseStarted = true;
            forwarding.metrics().response(error.status().code());
            record.responseHead(error.status().code(), error.headers(), forwarding.nodeId());
            record.body(error.content().readableBytes());
            if (closeAfter && ctx.pipeline().get(PipelineNames.HTTP_KEEP_ALIVE) != null) {
                // It would close as soon as the answer is written; lingeringClose closes instead.
                ctx.pipeline().remove(PipelineNames.HTTP_KEEP_ALIVE);
            }
            var written = ctx.writeAndFlush(error);
            if (closeAfter) {
                closing = true;
                written.addListener(f -> lingeringClose());
            }
            end();
        }

        void clientWritabilityChanged(boolean writable) {
            if (cached != null && !ended) {
                if (writable) {
                    cached.resume();
                } else {
                    cached.pause();
                }
                return;
            }
            if (upstream == null || ended) {
                return;
            }
            if (writable) {
                upstream.resumeResponse();
            } else {
                upstream.pauseResponse();
            }
        }

        void clientGone() {
            ended = true;
            releaseHeld();
            if (cached != null) {
                cached.abort();
            }
            if (upstream != null) {
                upstream.abort();
            }
            if (call != null) {
                // After the abort: the cancel reaches the origin first, whatever the bookkeeping does.
                call.cancel();
            }
            finish("aborted");
        }

        private void end() {
            ended = true;
            releaseHeld();
            if (call != null) {
                call.end();
            }
            finish(broken ? "broken" : "ok");
            exchangeEnded(this);
        }

        /** Counts a completed fill and writes the access log line; once per exchange. */
        private void finish(String outcome) {
            // The exchange's own parent when it forwarded (bypass); else the one that answered its fill.
            String parent = upstream != null && upstream.parent() != null ? upstream.parent().id() : null;
            record.end(forwarding, ctx.channel().remoteAddress(), tls, http2, clientVersion,
                    parent, call == null ? null : call.model(), outcome);
        }
    }

    /**
     * Closes after an error answer without losing it: closing a TCP connection with unread request bytes
     * makes the kernel send RST, which can destroy the answer before the client reads it. So, as RFC 9112
     * §9.6 advises, the sending side is shut down first (the client sees the end of the response), what
     * still arrives is read and discarded ({@link #closing}), and the connection is closed {@link #LINGER_MILLIS}
     * later. Over TLS the close_notify matters more: closed at once there.
     */
    private void lingeringClose() {
        if (ctx.channel() instanceof DuplexChannel duplex
                && !tls && duplex.isActive()) {
            duplex.shutdownOutput();
            ctx.channel().config().setAutoRead(true);
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ctx.close();
        }
    }

    /** How long a connection refused with an error keeps reading (and discarding) before it is closed. */
    static final long LINGER_MILLIS = 1000;
}
