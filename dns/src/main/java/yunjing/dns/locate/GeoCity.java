package yunjing.dns.locate;

import com.maxmind.geoip2.DatabaseReader;
import com.maxmind.geoip2.exception.GeoIp2Exception;
import com.maxmind.geoip2.model.CityResponse;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;

/** Country and (Chinese) province from a GeoIP2/GeoLite2 City database via MaxMind's {@link DatabaseReader}. */
final class GeoCity implements Closeable {

    /**
     * @param country     ISO 3166-1 code, or null
     * @param subdivision the most specific subdivision's ISO code as the database has it, or null
     * @param province    our province code for a Chinese subdivision, or null
     */
    record Hit(String country, String subdivision, String province, int blockPrefix) {
    }

    private final Path file;
    private final DatabaseReader reader;
    private final MmdbGaps gaps;

    private GeoCity(Path file, DatabaseReader reader, MmdbGaps gaps) {
        this.file = file;
        this.reader = reader;
        this.gaps = gaps;
    }

    static GeoCity open(Path file) throws IOException {
        MmdbDatabase db = MmdbDatabase.open(file, "City");
        return new GeoCity(file, db.reader(), db.gaps());
    }

    Hit find(InetAddress address) {
        Optional<CityResponse> r;
        try {
            r = reader.tryCity(address);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (GeoIp2Exception e) {
            throw new IllegalStateException(file + ": " + e.getMessage(), e);
        }
        if (r.isEmpty()) {
            return new Hit(null, null, null, gaps.emptyPrefix(address));
        }
        CityResponse city = r.get();
        String country = city.getCountry().getIsoCode();
        String subdivision = city.getMostSpecificSubdivision().getIsoCode();
        String province = switch (country == null ? "" : country) {
            case "CN" -> Provinces.normalise(subdivision);
            case "HK", "MO", "TW" -> country; // steered as provinces of their own
            default -> null;
        };
        return new Hit(country, subdivision, province, AsnMmdb.prefix(city.getTraits().getNetwork(), address));
    }

    String describe() {
        return "geoip-city " + file;
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
