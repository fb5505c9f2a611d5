package yunjing.dns.locate;

import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.Network;
import com.maxmind.db.Reader;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * How far the empty region around an address reaches in an MMDB. GeoIP2's {@code DatabaseReader}
 * answers a miss with nothing at all; the underlying {@link Reader} still reports the network of
 * the empty tree node, which is the block the miss holds for (the ECS scope of "not in the
 * database"). Opened on the same file, memory-mapped; thread-safe.
 */
final class MmdbGaps implements Closeable {

    private final Path file;
    private final Reader reader;

    private MmdbGaps(Path file, Reader reader) {
        this.file = file;
        this.reader = reader;
    }

    static MmdbGaps open(Path file) throws IOException {
        return new MmdbGaps(file, new Reader(file.toFile()));
    }

    /** Prefix length of the empty network around {@code address}; call only for addresses the database lacks. */
    int emptyPrefix(InetAddress address) {
        DatabaseRecord<Object> r;
        try {
            r = reader.getRecord(address, Object.class); // no data to decode on a miss
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        Network n = r.getNetwork();
        int bits = IpBits.bits(address.getAddress());
        return n == null || r.getData() != null ? bits : Math.min(n.getPrefixLength(), bits);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
