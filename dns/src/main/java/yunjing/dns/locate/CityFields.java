package yunjing.dns.locate;

import com.maxmind.db.MaxMindDbConstructor;
import com.maxmind.db.MaxMindDbParameter;

import java.util.List;

/**
 * The only parts of a GeoIP2 City record that steering reads: the country's and the subdivisions'
 * ISO codes. MaxMind's decoder fills these classes and skips every other field (names in a dozen
 * languages, coordinates, postal codes), which made the full {@code CityResponse} the locator's
 * largest cost under load. Public only because the decoder constructs them by reflection.
 */
public final class CityFields {

    final String countryIso;
    final List<IsoCode> subdivisions;

    @MaxMindDbConstructor
    public CityFields(@MaxMindDbParameter(name = "country") IsoCode country,
            @MaxMindDbParameter(name = "subdivisions") List<IsoCode> subdivisions) {
        this.countryIso = country == null ? null : country.isoCode;
        this.subdivisions = subdivisions == null ? List.of() : subdivisions;
    }

    /** The most specific subdivision's ISO code (the last one, as GeoIP2 orders them), or null. */
    String mostSpecificSubdivision() {
        return subdivisions.isEmpty() ? null : subdivisions.get(subdivisions.size() - 1).isoCode;
    }

    /** A country or subdivision record, of which only {@code iso_code} is read. */
    public static final class IsoCode {
        final String isoCode;

        @MaxMindDbConstructor
        public IsoCode(@MaxMindDbParameter(name = "iso_code") String isoCode) {
            this.isoCode = isoCode;
        }
    }
}
