package yunjing.sync.agent;

import yunjing.sync.chunk.ByteSpan;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The bodies of several spans read one after another, each opened only when the one before it is
 * used up: what {@link ChunkSource#openSpans} does for a source that can only send one span per
 * request. Used by one thread.
 */
final class ConcatenatedSpans extends InputStream {

    /** Opens one span's body. */
    interface Opener {
        InputStream open(ByteSpan span) throws IOException;
    }

    private final List<ByteSpan> spans;
    private final Opener opener;
    private int next;
    private InputStream current;

    ConcatenatedSpans(List<ByteSpan> spans, Opener opener) {
        this.spans = spans;
        this.opener = opener;
    }

    /** As above, with the first span's body already open. */
    ConcatenatedSpans(List<ByteSpan> spans, InputStream first, Opener opener) {
        this(spans, opener);
        this.current = first;
        this.next = 1;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (current == null) {
                if (next == spans.size()) {
                    return -1;
                }
                current = opener.open(spans.get(next++));
            }
            int n = current.read(b, off, len);
            if (n >= 0) {
                return n;
            }
            current.close();
            current = null;
        }
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
        next = spans.size();
    }
}
