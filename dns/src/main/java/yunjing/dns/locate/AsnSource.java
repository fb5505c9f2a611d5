package yunjing.dns.locate;

import java.io.Closeable;
import java.net.InetAddress;

/** Where AS numbers come from: a GeoIP2/GeoLite2 ASN database or an ip-location-db CSV. */
interface AsnSource extends Closeable {

    /**
     * @param asn         the AS number, or null when the address is in no announced range
     * @param org         the AS organisation, or null
     * @param blockPrefix the widest block around the address with this same answer
     */
    record Hit(Long asn, String org, int blockPrefix) {
    }

    /** Runs on event loops: an in-memory lookup. */
    Hit find(InetAddress address);

    /** For explanations, e.g. {@code asn-csv /data/asn.csv}. */
    String describe();
}
