package yunjing.dns.zone;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link ZoneData}: the generated apex (SOA, NS {@code ns1.<zone>} and its address
 * records), the steered names, and whatever an optional master file adds. The file may not
 * contradict what is generated or steered; each rule below says which RFC it protects.
 */
public final class ZoneLoader {

    /** TTL of the generated SOA, NS and nameserver address records. */
    static final long APEX_TTL = 3600;
    static final long REFRESH = 3600;
    static final long RETRY = 600;
    static final long EXPIRE = 1_209_600;
    /** SOA MINIMUM, the negative-caching TTL (RFC 2308 section 4). */
    static final long NEGATIVE_TTL = 30;

    private ZoneLoader() {
    }

    /**
     * @param serial the SOA serial: seconds since the epoch at start, so a restarted server always
     *               moves forward in RFC 1982 serial arithmetic (fits 32 bits until 2106)
     */
    public static ZoneData load(Name origin, List<Name> steered, List<InetAddress> nameservers, Path zoneFile,
            long serial) throws IOException {
        Name ns1 = child("ns1", origin);
        SOARecord soa = new SOARecord(origin, DClass.IN, APEX_TTL, ns1, child("hostmaster", origin),
                serial & 0xFFFF_FFFFL, REFRESH, RETRY, EXPIRE, NEGATIVE_TTL);
        Map<Name, Map<Integer, RRset>> nodes = new HashMap<>();
        add(nodes, soa);
        add(nodes, new NSRecord(origin, DClass.IN, APEX_TTL, ns1));
        for (InetAddress address : nameservers) {
            add(nodes, address instanceof Inet4Address
                    ? new ARecord(ns1, DClass.IN, APEX_TTL, address)
                    : new AAAARecord(ns1, DClass.IN, APEX_TTL, address));
        }
        Set<Name> steeredNames = new LinkedHashSet<>(steered);
        if (steeredNames.contains(ns1)) {
            throw new IllegalArgumentException("serviceNames: " + ns1 + " is the generated nameserver name");
        }
        if (zoneFile != null) {
            for (Record record : MasterFileReader.read(zoneFile, origin)) {
                check(zoneFile, origin, steeredNames, record);
                add(nodes, record);
            }
            checkCnames(zoneFile, nodes);
        }
        return new ZoneData(origin, soa, nodes, steeredNames);
    }

    private static void check(Path file, Name origin, Set<Name> steered, Record record) throws IOException {
        Name owner = record.getName();
        int type = record.getType();
        if (!owner.subdomain(origin)) {
            throw problem(file, record, "outside the zone " + origin);
        }
        if (record.getDClass() != DClass.IN) {
            throw problem(file, record, "class " + DClass.string(record.getDClass()) + " (expected: IN)");
        }
        if (owner.isWild()) {
            throw problem(file, record, "wildcard owners are not supported yet (RFC 4592)");
        }
        if (type == Type.SOA) {
            throw problem(file, record, "the SOA is generated (serial = start time); remove it from the file");
        }
        if (type == Type.NS && !owner.equals(origin)) {
            throw problem(file, record, "delegations are not supported (this server answers only for its own zone)");
        }
        if (type == Type.DNAME) {
            throw problem(file, record, "DNAME is not supported");
        }
        if (steered.contains(owner) && (type == Type.A || type == Type.AAAA || type == Type.CNAME)) {
            throw problem(file, record, "steered names get their addresses from the targets");
        }
    }

    /** A CNAME owner may own no other data (RFC 1034 section 3.6.2, RFC 2181 section 10.1). */
    private static void checkCnames(Path file, Map<Name, Map<Integer, RRset>> nodes) throws IOException {
        for (Map<Integer, RRset> node : nodes.values()) {
            RRset cname = node.get(Type.CNAME);
            if (cname == null) {
                continue;
            }
            Record first = cname.first();
            if (cname.size() > 1) {
                throw problem(file, first, "more than one CNAME at one name");
            }
            if (node.size() > 1) {
                throw problem(file, first, "a CNAME owner may have no other records (RFC 1034 section 3.6.2)");
            }
        }
    }

    private static void add(Map<Name, Map<Integer, RRset>> nodes, Record record) {
        nodes.computeIfAbsent(record.getName(), n -> new HashMap<>())
                .computeIfAbsent(record.getType(), t -> new RRset())
                .addRR(record);
    }

    private static IOException problem(Path file, Record record, String problem) {
        return new IOException(file + ": " + record.getName() + " " + Type.string(record.getType()) + ": " + problem);
    }

    private static Name child(String label, Name origin) {
        try {
            return Name.concatenate(Name.fromString(label), origin);
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("zone: " + origin + " (" + e.getMessage() + ")", e);
        }
    }
}
