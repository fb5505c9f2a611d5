package yunjing.dns.locate;

import com.maxmind.db.Network;
import com.maxmind.geoip2.DatabaseReader;
import com.maxmind.geoip2.exception.GeoIp2Exception;
import com.maxmind.geoip2.model.AsnResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * AS numbers from a GeoIP2/GeoLite2 ASN database, read with MaxMind's {@link DatabaseReader}
 * (memory-mapped, thread-safe, no I/O per lookup beyond page faults).
 */
final class AsnMmdb implements AsnSource {

    private final Path file;
    private final DatabaseReader reader;
    private final MmdbGaps gaps;

    private AsnMmdb(Path file, DatabaseReader reader, MmdbGaps gaps) {
        this.file = file;
        this.reader = reader;
        this.gaps = gaps;
    }

    static AsnMmdb open(Path file) throws IOException {
        MmdbDatabase db = MmdbDatabase.open(file, "ASN");
        return new AsnMmdb(file, db.reader(), db.gaps());
    }

    @Override
    public Hit find(InetAddress address) {
        Optional<AsnResponse> r;
        try {
            r = reader.tryAsn(address);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (GeoIp2Exception e) {
            throw new IllegalStateException(file + ": " + e.getMessage(), e);
        }
        if (r.isEmpty()) {
            return new Hit(null, null, gaps.emptyPrefix(address));
        }
        AsnResponse asn = r.get();
        return new Hit(asn.getAutonomousSystemNumber(), asn.getAutonomousSystemOrganization(),
                prefix(asn.getNetwork(), address));
    }

    static int prefix(Network network, InetAddress address) {
        return network == null ? IpBits.bits(address.getAddress()) : network.getPrefixLength();
    }

    @Override
    public String describe() {
        return "asn-mmdb " + file;
    }

    @Override
    public void close() throws IOException {
        try {
            reader.close();
        } finally {
            gaps.close();
        }
    }
}
