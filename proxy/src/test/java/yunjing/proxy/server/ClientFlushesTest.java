package yunjing.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Writes go through the pipeline: EmbeddedChannel's own write methods run the queued tasks at once. */
class ClientFlushesTest {

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String take(EmbeddedChannel channel) {
        ByteBuf out = channel.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }

    @Test
    void flushesOutsideARead_reachTheSocketInOrder() {
        // The queued flush task's timing is the embedded event loop's (it may run tasks at once): checked here
        // is that nothing written outside a read is lost or reordered.
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFlushes());
        channel.pipeline().writeAndFlush(text("head"));
        channel.pipeline().writeAndFlush(text("body"));
        channel.runPendingTasks();
        assertEquals("head", take(channel));
        assertEquals("body", take(channel));
        assertFalse(channel.finish());
    }

    @Test
    void flushesDuringARead_leaveAtReadComplete() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFlushes(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg); // an echo: answered inside the read
            }
        });
        channel.pipeline().fireChannelRead(text("one"));
        channel.pipeline().fireChannelRead(text("two"));
        assertNull(channel.readOutbound(), "held until the read completes");
        channel.pipeline().fireChannelReadComplete();
        assertEquals("one", take(channel));
        assertEquals("two", take(channel));
        assertFalse(channel.finish());
    }

    @Test
    void close_flushesWhatWasWrittenFirst() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFlushes());
        channel.pipeline().writeAndFlush(text("last words"));
        channel.pipeline().close();
        assertEquals("last words", take(channel));
        assertFalse(channel.finish());
    }
}
