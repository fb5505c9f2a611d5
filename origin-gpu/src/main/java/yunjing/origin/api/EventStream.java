package yunjing.origin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} response written from an inference thread: each event is one
 * {@code data: <json>\n\n} written and flushed on its own, so it leaves as its own HTTP/1.1 chunk or HTTP/2
 * DATA frame the moment it exists (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * <p>Backpressure: when the channel stops being writable (a slow reader, or an exhausted HTTP/2 stream window),
 * the inference thread waits for the last write before producing more, so a slow client holds back its own
 * generation instead of filling server memory. It never waits on an event loop.
 */
final class EventStream {

    private static final long WRITABILITY_POLL_MILLIS = 100;
    private final ChannelHandlerContext ctx;
    private final ObjectMapper mapper;

    EventStream(ChannelHandlerContext ctx, ObjectMapper mapper) {
        this.ctx = ctx;
        this.mapper = mapper;
    }

    void start() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        // Chunked framing keeps an HTTP/1.1 connection reusable; the HTTP/2 codec drops the header.
        HttpUtil.setTransferEncodingChunked(response, true);
        ctx.writeAndFlush(response);
    }

    void send(JsonNode event) {
        String json;
        try {
            json = mapper.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        awaitWritable(ctx.writeAndFlush(new DefaultHttpContent(data("data: " + json + "\n\n"))));
    }

    /** Ends the stream with OpenAI's {@code [DONE]} sentinel. */
    ChannelFuture done() {
        return ctx.writeAndFlush(new DefaultLastHttpContent(data("data: [DONE]\n\n")));
    }

    private ByteBuf data(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ctx.alloc().buffer(bytes.length).writeBytes(bytes);
    }

    private void awaitWritable(ChannelFuture lastWrite) {
        Channel channel = ctx.channel();
        while (!channel.isWritable() && channel.isActive() && !lastWrite.isDone()) {
            lastWrite.awaitUninterruptibly(WRITABILITY_POLL_MILLIS);
        }
    }
}
