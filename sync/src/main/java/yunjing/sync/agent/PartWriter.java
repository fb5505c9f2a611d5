package yunjing.sync.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes long runs of a part file (the local copies, most of a delta's bytes) around the page
 * cache with {@code O_DIRECT} where the file system allows it: the whole blocks of a run go
 * straight to the disk from the caller's buffer, the partial blocks at its ends through
 * {@code buffered} like every other write.
 *
 * <p>Why: a new revision of a multi-gigabyte file written through the page cache first fills
 * that many fresh pages (on a virtual machine whose free memory was handed back to the host,
 * each first touch of one costs a fault in the host, and most of the copy's time), evicts
 * what the node serves hot, and is then written back in bulk by the final fsync. Written
 * directly, it costs one pass to the disk, overlapped with the hashing. The bytes written are
 * hashed from the same buffer ({@link CopyHandoff}), never read back.
 *
 * <p>Where {@code O_DIRECT} is refused (tmpfs, some network file systems, a JDK without the
 * option) or a direct write fails for any reason but a full disk, everything is written
 * through {@code buffered}. Used by one thread at a time.
 */
final class PartWriter implements AutoCloseable {

    /** Largest block size written directly; buffers aligned to it suit every smaller one. */
    static final int MAX_ALIGNMENT = 1 << 16;
    /** The JDK's non-standard {@code ExtendedOpenOption.DIRECT}, or null on a JDK without it (then writes are buffered). */
    private static final OpenOption DIRECT = directOption();

    private final FileChannel buffered;
    private final int alignment;
    private FileChannel direct;

    private PartWriter(FileChannel buffered, FileChannel direct, int alignment) {
        this.buffered = buffered;
        this.direct = direct;
        this.alignment = alignment;
    }

    /** A writer of {@code part} (open as {@code buffered}), direct when the file system allows it. */
    static PartWriter open(Path part, FileChannel buffered) {
        if (DIRECT != null) {
            try {
                int alignment = Math.toIntExact(Files.getFileStore(part).getBlockSize());
                if (alignment > 0 && Integer.bitCount(alignment) == 1 && alignment <= MAX_ALIGNMENT) {
                    return new PartWriter(buffered, FileChannel.open(part, StandardOpenOption.WRITE, DIRECT), alignment);
                }
            } catch (IOException | UnsupportedOperationException | ArithmeticException refused) {
                // No direct I/O here: buffered writes only.
            }
        }
        return buffered(buffered);
    }

    /** A writer through the page cache only. */
    static PartWriter buffered(FileChannel buffered) {
        return new PartWriter(buffered, null, 1);
    }

    /** Looked up reflectively: javac warns about the option as internal API, and other JDKs may lack it. */
    private static OpenOption directOption() {
        try {
            return (OpenOption) Class.forName("com.sun.nio.file.ExtendedOpenOption").getField("DIRECT").get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError absent) {
            return null;
        }
    }

    boolean isDirect() {
        return direct != null;
    }

    /** Where in its buffer the byte for file {@code offset} goes, so that whole blocks line up with the buffer. */
    int lead(long offset) {
        return (int) (offset % alignment);
    }

    /**
     * Writes the remaining bytes of {@code bytes} at file {@code offset}. {@code bytes} is a view
     * of a buffer aligned to {@link #MAX_ALIGNMENT}, at position {@link #lead lead(offset)}.
     */
    void write(ByteBuffer bytes, long offset) throws IOException {
        if (direct != null) {
            int lead = bytes.position();
            int end = bytes.limit();
            int first = roundUp(lead);
            int last = end - end % alignment;
            if (lead != lead(offset)) {
                throw new IllegalArgumentException("bytes for offset " + offset + " start at " + lead + " in their buffer (expected: " + lead(offset) + ")");
            }
            if (first < last) {
                try {
                    writeFully(direct, bytes.duplicate().position(first).limit(last), offset + first - lead);
                    writeFully(buffered, bytes.duplicate().limit(first), offset);
                    writeFully(buffered, bytes.duplicate().position(last), offset + last - lead);
                    return;
                } catch (IOException e) {
                    if (DiskFull.is(e)) {
                        throw e;
                    }
                    closeDirect(); // refused after all: the same bytes, and the rest, through the page cache
                }
            }
        }
        writeFully(buffered, bytes.duplicate(), offset);
    }

    private int roundUp(int index) {
        return (index + alignment - 1) / alignment * alignment;
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes, long offset) throws IOException {
        long at = offset;
        while (bytes.hasRemaining()) {
            at += channel.write(bytes, at);
        }
    }

    private void closeDirect() {
        try {
            if (direct != null) {
                direct.close();
            }
        } catch (IOException ignored) {
            // Only written through: nothing buffered to lose.
        }
        direct = null;
    }

    /** Closes the direct channel; {@code buffered} is the caller's. */
    @Override
    public void close() {
        closeDirect();
    }
}
