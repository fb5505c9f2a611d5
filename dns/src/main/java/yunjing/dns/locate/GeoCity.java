package yunjing.dns.locate;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.Network;
import com.maxmind.db.Reader;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * Country and (Chinese) province from a GeoIP2/GeoLite2 City database, read with MaxMind's
 * low-level {@link Reader} (memory-mapped, thread-safe) into {@link CityFields}, decoding two ISO codes instead of the whole record, with
 * decoded records cached by MaxMind's {@link CHMCache}. One tree walk gives both the data and the
 * network it holds for, a miss included (its empty network is the block the miss holds for).
 */
final class GeoCity implements Closeable {

    /**
     * @param country     ISO 3166-1 code, or null
     * @param subdivision the most specific subdivision's ISO code as the database has it, or null
     * @param province    our province code for a Chinese subdivision, or null
     */
    record Hit(String country, String subdivision, String province, int blockPrefix) {
    }

    private final Path file;
    private final Reader reader;

    private GeoCity(Path file, Reader reader) {
        this.file = file;
        this.reader = reader;
    }

    static GeoCity open(Path file) throws IOException {
        Reader reader = new Reader(file.toFile(), new CHMCache(MmdbDatabase.DECODED_RECORDS));
        String type = reader.getMetadata().getDatabaseType();
        if (!type.contains("City")) {
            reader.close();
            throw new IOException(file + ": database type " + type + " (expected: a GeoIP2/GeoLite2 City database)");
        }
        return new GeoCity(file, reader);
    }

    Hit find(InetAddress address) {
        DatabaseRecord<CityFields> r;
        try {
            r = reader.getRecord(address, CityFields.class);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        int bits = IpBits.bits(address.getAddress());
        Network network = r.getNetwork();
        int block = network == null ? bits : Math.min(network.getPrefixLength(), bits);
        CityFields city = r.getData();
        if (city == null) {
            return new Hit(null, null, null, block);
        }
        String country = city.countryIso;
        String subdivision = city.mostSpecificSubdivision();
        String province = switch (country == null ? "" : country) {
            case "CN" -> Provinces.normalise(subdivision);
            case "HK", "MO", "TW" -> country; // steered as provinces of their own
            default -> null;
        };
        return new Hit(country, subdivision, province, block);
    }

    String describe() {
        return "geoip-city " + file;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
