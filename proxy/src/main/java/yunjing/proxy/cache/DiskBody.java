package yunjing.proxy.cache;

import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An L2 entry (or slice) file opened to send its body with {@code sendfile}, without reading it: the
 * decoded head and the open file, whose checksum {@link DiskTier#openBody} verified.
 *
 * <h2>Ownership</h2>
 * Reference counted: the {@link Delivery} sending it holds one reference, and every {@link #region} handed
 * to the channel holds another until the channel releases it (written, or failed because the client went
 * away). The file is closed when the last reference goes, on whatever thread that is. A purge or eviction
 * of the entry meanwhile only unlinks the file: the open descriptor keeps reading the same bytes until
 * then (Linux keeps an unlinked file while it is open), so a send in progress is never cut short by it.
 */
final class DiskBody extends AbstractReferenceCounted {

    private static final Logger log = Logger.getLogger(DiskBody.class.getName());

    /** The entry's head; its body is empty (the bytes stay in the file). */
    final CacheEntry head;
    /** Body bytes in the file. */
    final long length;
    private final long bodyOffset;
    private final FileChannel channel;
    private final AtomicInteger openFiles;

    /** Takes ownership of {@code channel}; counts itself in {@code openFiles} until closed. */
    DiskBody(CacheEntry head, FileChannel channel, long bodyOffset, long length, AtomicInteger openFiles) {
        this.head = head;
        this.channel = channel;
        this.bodyOffset = bodyOffset;
        this.length = length;
        this.openFiles = openFiles;
        openFiles.incrementAndGet();
    }

    /** Body bytes [from, from + count) as a region for the channel, holding a reference to this file. */
    FileRegion region(long from, long count) {
        if (from < 0 || count <= 0 || from + count > length) {
            throw new IllegalArgumentException("region " + from + "+" + count + " of a body of " + length);
        }
        return new Region(this, bodyOffset + from, count);
    }

    @Override
    protected void deallocate() {
        openFiles.decrementAndGet();
        try {
            channel.close();
        } catch (IOException e) {
            log.log(Level.FINE, "closing a cache file after sending it", e);
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        return this;
    }

    /**
     * A {@link DefaultFileRegion} (the type the epoll transport sends with {@code sendfile(2)}; NIO uses
     * {@code FileChannel.transferTo}) over the shared channel: releasing it releases its reference to the
     * {@link DiskBody} instead of closing the channel that other regions still use.
     */
    private static final class Region extends DefaultFileRegion {
        private final DiskBody owner;

        Region(DiskBody owner, long position, long count) {
            super(owner.channel, position, count);
            this.owner = owner;
            owner.retain();
        }

        @Override
        protected void deallocate() {
            owner.release();
        }
    }
}
