package yunjing.dns.locate;

import com.maxmind.db.CHMCache;
import com.maxmind.geoip2.DatabaseReader;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An opened MaxMind database of the expected kind with its gap index; on any failure the reader
 * is closed before the error propagates, so a bad file leaks no mapping.
 */
record MmdbDatabase(DatabaseReader reader, MmdbGaps gaps) {

    /** Decoded records kept by MaxMind's cache (it stops adding when full; a City record is ~1 KiB). */
    static final int DECODED_RECORDS = 1 << 15;

    /** @param kind what the metadata's database type must contain, e.g. {@code City} or {@code ASN} */
    static MmdbDatabase open(Path file, String kind) throws IOException {
        DatabaseReader reader = new DatabaseReader.Builder(file.toFile())
                // Records (a city, an AS) are shared by many networks: keep the decoded ones.
                .withCache(new CHMCache(DECODED_RECORDS)).build();
        try {
            String type = reader.getMetadata().getDatabaseType();
            if (!type.contains(kind)) {
                throw new IOException(file + ": database type " + type + " (expected: a GeoIP2/GeoLite2 " + kind + " database)");
            }
            return new MmdbDatabase(reader, MmdbGaps.open(file));
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }
}
