package yunjing.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import yunjing.proxy.ApiAccess;

/**
 * A chat completion body collected at the edge, up to {@link ApiAccess#MAX_CHAT_BODY_BYTES}, so
 * it can be validated before anything crosses the long-haul link. Owns its buffers until
 * {@link #take()} or {@link #release()}. Confined to the event loop.
 */
final class HeldBody {
    private final HttpRequest head;
    private CompositeByteBuf body;

    HeldBody(ByteBufAllocator alloc, HttpRequest head) {
        this.head = head;
        // Unbounded components: consolidating 20 MiB of small chunks again and again would be quadratic.
        this.body = alloc.compositeBuffer(Integer.MAX_VALUE);
    }

    HttpRequest head() {
        return head;
    }

    /**
     * Takes ownership of {@code content}. Returns false, having released everything, when the
     * body would pass the cap: counted as it streams, nothing past the cap is kept.
     */
    boolean add(HttpContent content) {
        ByteBuf piece = content.content();
        if (body.readableBytes() + (long) piece.readableBytes() > ApiAccess.MAX_CHAT_BODY_BYTES) {
            content.release();
            release();
            return false;
        }
        body.addComponent(true, piece.retain());
        content.release();
        return true;
    }

    /** The collected body; ownership moves to the caller. */
    ByteBuf take() {
        ByteBuf taken = body;
        body = null;
        return taken;
    }

    void release() {
        if (body != null) {
            body.release();
            body = null;
        }
    }
}
