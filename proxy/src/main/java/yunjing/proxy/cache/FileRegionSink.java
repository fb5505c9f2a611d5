package yunjing.proxy.cache;

import io.netty.channel.ChannelFuture;
import io.netty.channel.FileRegion;

/**
 * A client side that can send body bytes straight from a file ({@code sendfile}): a plaintext HTTP/1.x
 * connection, whose encoder passes a {@link FileRegion} to the socket as it is. TLS must encrypt the bytes
 * and h2 must frame them, so those clients get no sink and are served from memory.
 *
 * <p>Called on the event loop of the exchange, between the response head and its last content (which
 * still goes to the listener).
 */
public interface FileRegionSink {

    /**
     * Writes {@code region} as the next body bytes of the response, ownership included (a client already
     * gone releases it). The future completes when the region is written or failed; the cache sends the
     * next region then, so a few regions at most wait in the channel whatever the body's size.
     */
    ChannelFuture onResponseRegion(FileRegion region);
}
