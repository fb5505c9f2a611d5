package yunjing.sync.serve;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;

/**
 * Serves the artifact store to one HTTP/1.1 connection or one HTTP/2 stream, consuming
 * {@link HttpRequest}/{@link HttpContent} objects (behind
 * {@code HttpServerCodec} or {@code Http2StreamFrameToHttpObjectCodec}). Requests {@code owns}
 * accepts are answered here; every other request, with its body, passes on unchanged to the
 * handlers behind (e.g. an API).
 *
 * <p>Order (RFC 9112 §9.3.2): with HTTP/1.1 pipelining, responses must leave in request order
 * although two handlers produce them. So inbound messages wait in {@link #queue} while an answer
 * of ours is being written (before a passed-on request may start) and while a passed-on request
 * has not seen its final response go out (before one of ours may start); the responses of the
 * handlers behind are watched on their way out through {@link #write}.
 *
 * <p>Bodies: a file goes out as a {@link DefaultFileRegion} (sendfile) on a cleartext socket, as
 * {@link HttpChunkedInput} chunks (bounded memory, written as the channel becomes writable) over
 * TLS or an HTTP/2 stream, where bytes must pass through the pipeline.
 *
 * <p>Runs on the channel's event loop; all fields are confined to it. Store lookups run on the
 * service's executor.
 */
final class ArtifactHandler extends ChannelDuplexHandler {

    private static final int CHUNK_SIZE = 64 * 1024;

    private final ArtifactService service;
    private final Predicate<HttpRequest> owns;
    /** Inbound HTTP objects not yet handled, in arrival order; each holds its own reference. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private boolean passing;        // forwarding the body of a passed-on request
    private boolean discarding;     // dropping the body of a request of ours
    private Collecting collecting;  // reading the body of a POST of ours (paths-info), until its last content
    private boolean replying;       // a response of ours is being produced or written
    private int passedOn;           // passed-on requests whose final response has not gone out
    private boolean informational;  // the response passing out now is a 1xx
    private boolean pausedReading;

    /** Most bytes of a request body we read (a paths-info list); a longer one gets 413. */
    static final int MAX_BODY = 1 << 20;

    /** A POST of ours whose body is still arriving. */
    private static final class Collecting {
        final HttpMethod method;
        final String target;
        final HttpHeaders headers;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean tooLarge;

        Collecting(HttpMethod method, String target, HttpHeaders headers) {
            this.method = method;
            this.target = target;
            this.headers = headers;
        }
    }

    ArtifactHandler(ArtifactService service, Predicate<HttpRequest> owns) {
        this.service = service;
        this.owns = owns;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
            ctx.pipeline().addBefore(ctx.name(), null, new ChunkedWriteHandler());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ctx.fireChannelRead(msg);
            return;
        }
        queue.add(msg);
        drain(ctx);
    }

    private void drain(ChannelHandlerContext ctx) {
        while (!queue.isEmpty() && ctx.channel().isActive()) {
            Object msg = queue.peek();
            if (passing) {
                queue.poll();
                passing = !(msg instanceof LastHttpContent);
                ctx.fireChannelRead(msg);
            } else if (collecting != null) {
                queue.poll();
                Collecting c = collecting;
                if (msg instanceof HttpContent content) {
                    int n = content.content().readableBytes();
                    if (c.body.size() + n > MAX_BODY) {
                        c.tooLarge = true;
                    } else {
                        c.body.writeBytes(ByteBufUtil.getBytes(content.content()));
                    }
                }
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    collecting = null;
                    if (c.tooLarge) {
                        send(ctx, new Reply.Full(service.responder().error(ctx.alloc(), c.method, new ServeException(
                                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge",
                                "request body over " + MAX_BODY + " bytes"))));
                    } else {
                        reply(ctx, c.method, c.target, c.headers, true, c.body.toByteArray());
                    }
                }
            } else if (discarding) {
                queue.poll();
                discarding = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
            } else if (msg instanceof HttpRequest request) {
                if (owns.test(request)) {
                    if (replying || passedOn > 0) {
                        break;
                    }
                    queue.poll();
                    HttpMethod method = request.method();
                    String target = request.uri();
                    HttpHeaders headers = request.headers().copy();
                    boolean valid = request.decoderResult().isSuccess();
                    if (valid && method.equals(HttpMethod.POST) && !(msg instanceof LastHttpContent)) {
                        // The body is the request (paths-info): read it, then reply. Later requests wait.
                        replying = true;
                        collecting = new Collecting(method, target, headers);
                        ReferenceCountUtil.release(msg);
                        continue;
                    }
                    discarding = !(msg instanceof LastHttpContent);
                    byte[] body = msg instanceof HttpContent content
                            ? ByteBufUtil.getBytes(content.content()) : new byte[0];
                    ReferenceCountUtil.release(msg);
                    reply(ctx, method, target, headers, valid, body);
                } else {
                    if (replying) {
                        break;
                    }
                    queue.poll();
                    passedOn++;
                    passing = !(msg instanceof LastHttpContent);
                    ctx.fireChannelRead(msg);
                }
            } else {
                queue.poll();
                ctx.fireChannelRead(msg); // content outside any request: not ours to judge
            }
        }
        updateReading(ctx);
    }

    private void reply(ChannelHandlerContext ctx, HttpMethod method, String target, HttpHeaders headers, boolean valid,
                       byte[] body) {
        replying = true;
        if (!valid) {
            send(ctx, new Reply.Full(service.responder().error(ctx.alloc(), method,
                    ServeException.badRequest("malformed HTTP request"))));
            return;
        }
        CompletableFuture<Reply> pending;
        try {
            pending = CompletableFuture.supplyAsync(
                    () -> service.responder().respond(method, target, headers, body, ctx.alloc()), service.executor());
        } catch (RejectedExecutionException e) {
            send(ctx, new Reply.Full(service.responder().error(ctx.alloc(), method, new ServeException(
                    HttpResponseStatus.SERVICE_UNAVAILABLE, "Unavailable", "artifact store busy or shutting down"))));
            return;
        }
        pending.whenComplete((reply, failure) -> {
            Reply r = reply != null ? reply : new Reply.Full(service.responder().error(ctx.alloc(), method,
                    new ServeException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "InternalError", String.valueOf(failure))));
            try {
                ctx.executor().execute(() -> send(ctx, r));
            } catch (RejectedExecutionException loopGone) {
                r.discard();
            }
        });
    }

    /** Writes one of our replies; runs on the event loop. */
    private void send(ChannelHandlerContext ctx, Reply reply) {
        if (!ctx.channel().isActive()) {
            reply.discard();
            replying = false;
            return;
        }
        ChannelFuture last;
        if (reply instanceof Reply.Full full) {
            last = ctx.writeAndFlush(full.response());
        } else {
            Reply.File file = (Reply.File) reply;
            ctx.write(file.head());
            if (zeroCopy(ctx)) {
                if (file.length() > 0) {
                    ctx.write(new DefaultFileRegion(file.file(), file.offset(), file.length()));
                } else {
                    file.discard();
                }
                last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                try {
                    last = ctx.writeAndFlush(new HttpChunkedInput(
                            new ChunkedNioFile(file.file(), file.offset(), file.length(), CHUNK_SIZE)));
                } catch (IOException e) {
                    file.discard();
                    ctx.close();
                    return;
                }
            }
        }
        last.addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close(); // a response cut short must not look complete
            }
            replying = false;
            drain(ctx);
        });
    }

    /** sendfile needs the bytes to go to the socket untouched: no TLS, no HTTP/2 framing. */
    private static boolean zeroCopy(ChannelHandlerContext ctx) {
        return ctx.channel() instanceof SocketChannel && ctx.pipeline().get(SslHandler.class) == null;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // Only the handlers behind us write through here; our own writes start at our context.
        if (msg instanceof HttpResponse response) {
            informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        }
        boolean finalEnd = msg instanceof LastHttpContent && !informational;
        ctx.write(msg, promise);
        if (finalEnd && passedOn > 0) {
            passedOn--;
            ctx.executor().execute(() -> drain(ctx));
        }
    }

    private void updateReading(ChannelHandlerContext ctx) {
        if (!queue.isEmpty() && !pausedReading) {
            pausedReading = true;
            ctx.channel().config().setAutoRead(false);
        } else if (queue.isEmpty() && pausedReading) {
            pausedReading = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseQueued();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseQueued();
    }

    private void releaseQueued() {
        Object msg;
        while ((msg = queue.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
