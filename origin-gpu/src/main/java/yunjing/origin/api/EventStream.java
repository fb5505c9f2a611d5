package yunjing.origin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
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
 * <p>Never blocks: it is written from the scheduler thread, between the steps of every other stream. Backpressure
 * is the scheduler's: while {@link #writable()} is false (a slow reader, an exhausted HTTP/2 stream window) this
 * sequence sits out decode steps, so a slow client holds back its own generation instead of filling server memory.
 */
final class EventStream {

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
        ctx.writeAndFlush(new DefaultHttpContent(data("data: " + json + "\n\n")));
    }

    /** False while the outbound buffer is over its high-water mark. */
    boolean writable() {
        return ctx.channel().isWritable();
    }

    /** Ends the stream with OpenAI's {@code [DONE]} sentinel. */
    ChannelFuture done() {
        return ctx.writeAndFlush(new DefaultLastHttpContent(data("data: [DONE]\n\n")));
    }

    private ByteBuf data(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ctx.alloc().buffer(bytes.length).writeBytes(bytes);
    }
}
