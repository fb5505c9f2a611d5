package yunjing.dns.zone;

import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.SOARecord;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The static content of one zone: RRsets by owner name and type, the names whose address records
 * are chosen per query by steering, and the empty non-terminals between them and the apex.
 * Immutable after {@link ZoneLoader} builds it, so it is read from every event loop without locks.
 *
 * <p>dnsjava's {@link Name} compares and hashes case-insensitively (RFC 4343 section 3), so lookups
 * work whatever the case of the query; the stored names keep the case they were written in.
 */
public final class ZoneData {

    private final Name origin;
    private final SOARecord soa;
    private final Map<Name, Map<Integer, RRset>> nodes;
    private final Set<Name> steered;
    private final Set<Name> emptyNonTerminals;

    ZoneData(Name origin, SOARecord soa, Map<Name, Map<Integer, RRset>> nodes, Set<Name> steered) {
        this.origin = origin;
        this.soa = soa;
        Map<Name, Map<Integer, RRset>> copy = new HashMap<>();
        nodes.forEach((name, types) -> copy.put(name, Collections.unmodifiableMap(new HashMap<>(types))));
        this.nodes = Collections.unmodifiableMap(copy);
        this.steered = Set.copyOf(steered);
        Set<Name> ents = new HashSet<>();
        for (Name name : copy.keySet()) {
            addAncestors(name, ents);
        }
        for (Name name : steered) {
            addAncestors(name, ents);
        }
        ents.removeAll(copy.keySet());
        ents.removeAll(steered);
        this.emptyNonTerminals = Set.copyOf(ents);
    }

    private void addAncestors(Name name, Set<Name> into) {
        for (int labels = name.labels() - 1; labels > origin.labels(); labels--) {
            into.add(new Name(name, name.labels() - labels));
        }
    }

    public Name origin() {
        return origin;
    }

    public SOARecord soa() {
        return soa;
    }

    /**
     * TTL of a negative answer: the lesser of the SOA's own TTL and its MINIMUM field
     * (RFC 2308 section 3 and 5).
     */
    public long negativeTtl() {
        return Math.min(soa.getTTL(), soa.getMinimum());
    }

    /** The RRset of {@code type} at {@code name}, or null. */
    public RRset rrset(Name name, int type) {
        Map<Integer, RRset> node = nodes.get(name);
        return node == null ? null : node.get(type);
    }

    /** The steered names. */
    public Set<Name> steeredNames() {
        return steered;
    }

    /** Whether {@code name} owns address records chosen by steering. */
    public boolean isSteered(Name name) {
        return steered.contains(name);
    }

    /**
     * Whether {@code name} exists in the zone: it owns records, is steered, or is an empty
     * non-terminal (RFC 8020 section 2: a name with descendants is not NXDOMAIN).
     */
    public boolean exists(Name name) {
        return nodes.containsKey(name) || steered.contains(name) || emptyNonTerminals.contains(name);
    }

    /** All static RRsets (for tests and diagnostics). */
    Map<Name, Map<Integer, RRset>> nodes() {
        return nodes;
    }
}
