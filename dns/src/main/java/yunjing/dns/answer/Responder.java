package yunjing.dns.answer;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.steer.SteeringAnswer;
import yunjing.dns.steer.SteeringPolicy;
import yunjing.dns.steer.SteeringQuery;
import yunjing.dns.zone.ZoneData;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Answers one well-formed standard query from the zone, as an authoritative-only server
 * (RFC 1034 section 4.3.2, steps 1–3, without delegations or wildcards). The envelope — opcode,
 * QDCOUNT, EDNS and size limits — is the wire layer's business; this class decides content only.
 *
 * <p>Stateless apart from the steering policy, so one instance serves every event loop.
 */
public final class Responder {

    /** Longest CNAME chain followed inside the zone before giving up (loops end here too). */
    static final int MAX_CNAME_CHAIN = 8;
    /** TTL of the RFC 8482 section 4.2 HINFO answer to ANY: long, to discourage repeats. */
    static final long ANY_TTL = 3600;

    private final ZoneData zone;
    private final SteeringPolicy steering;

    /** The steered names and their lower-cased wire forms, for {@link #steeredName(byte[], int, int)}. */
    private final Name[] steeredNames;
    private final byte[][] steeredWire;

    public Responder(ZoneData zone, SteeringPolicy steering) {
        this.zone = Objects.requireNonNull(zone, "zone");
        this.steering = Objects.requireNonNull(steering, "steering");
        this.steeredNames = zone.steeredNames().toArray(new Name[0]);
        this.steeredWire = new byte[steeredNames.length][];
        for (int i = 0; i < steeredNames.length; i++) {
            steeredWire[i] = steeredNames[i].toWireCanonical(); // lower case, no compression
        }
    }

    /**
     * The steered name spelled by the uncompressed wire-format name at {@code in[offset, offset+length)}
     * (ASCII case-insensitive, RFC 4343), or null: the fast path's lookup without parsing a {@link Name}.
     */
    public Name steeredName(byte[] in, int offset, int length) {
        for (int i = 0; i < steeredWire.length; i++) {
            byte[] w = steeredWire[i];
            if (w.length == length && equalsIgnoreAsciiCase(w, in, offset)) {
                return steeredNames[i];
            }
        }
        return null;
    }

    /** Label-length bytes (0–63) are below 'A', so lower-casing the whole name compares lengths exactly. */
    private static boolean equalsIgnoreAsciiCase(byte[] lower, byte[] in, int offset) {
        for (int i = 0; i < lower.length; i++) {
            int c = in[offset + i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lower[i]) {
                return false;
            }
        }
        return true;
    }

    public Name origin() {
        return zone.origin();
    }

    /** Whether {@code name} is a steered name of the zone (its A/AAAA answers come from {@link #steer}). */
    public boolean isSteered(Name name) {
        return zone.isSteered(name);
    }

    /**
     * The steering decision for a steered name, exactly as {@link #reply} makes it: for the wire
     * layer's fast path, which writes the answer itself.
     */
    public SteeringAnswer steer(SteeringQuery query) {
        return steering.steer(query);
    }

    /**
     * A response and, when a steered name was answered, the steering decision behind it (the wire
     * layer needs its rule for metrics and its scope for the ECS option).
     *
     * @param steered the steering decision, or null when no steered name was answered
     * @param name    the question's name when it exists in the zone (for per-name metrics: a bounded
     *                set), else null
     */
    public record Reply(Message message, SteeringAnswer steered, Name name) {
        public Reply(Message message, SteeringAnswer steered) {
            this(message, steered, null);
        }
    }

    /**
     * @param query  a parsed QUERY with exactly one question
     * @param source where the query came from (the resolver), for steering
     */
    public Message respond(Message query, InetSocketAddress source) {
        return reply(query, source).message();
    }

    /** As {@link #respond}, with the steering decision. */
    public Reply reply(Message query, InetSocketAddress source) {
        Record question = query.getQuestion();
        Message response = replyTo(query);
        Header header = response.getHeader();
        Name qname = question.getName();
        int qtype = question.getType();

        // Neither another class (CHAOS version.bind …) nor a name outside the zone is ours to answer;
        // we are not a resolver (RFC 1035 section 4.1.1: REFUSED "for policy reasons").
        if (question.getDClass() != DClass.IN || !qname.subdomain(zone.origin())) {
            header.setRcode(Rcode.REFUSED);
            return new Reply(response, null);
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            header.setRcode(Rcode.REFUSED); // RFC 5936 section 4.2: a server may refuse transfers
            return new Reply(response, null);
        }
        if (qtype == Type.MAILA || qtype == Type.MAILB) {
            header.setRcode(Rcode.NOTIMP);
            return new Reply(response, null);
        }
        if (qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY) {
            header.setRcode(Rcode.FORMERR); // meta-types are not questions (RFC 6895 section 3.1)
            return new Reply(response, null);
        }
        header.setFlag(Flags.AA);
        SteeringAnswer steered = answer(response, query, qname, qtype, source);
        return new Reply(response, steered, zone.exists(qname) ? qname : null);
    }

    /** A response header echoing the query: same id, QR set, RD and CD copied, RA clear. */
    static Message replyTo(Message query) {
        Header q = query.getHeader();
        Message response = new Message(q.getID());
        Header h = response.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(Opcode.QUERY);
        if (q.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD); // RFC 1035 section 4.1.1: RD is copied into the response
        }
        if (q.getFlag(Flags.CD)) {
            h.setFlag(Flags.CD); // RFC 4035 section 3.1.6
        }
        // The question keeps the client's spelling, so 0x20 case randomisation round-trips.
        response.addRecord(query.getQuestion(), Section.QUESTION);
        return response;
    }

    /**
     * RFC 1034 section 4.3.2 step 3, following CNAMEs while they stay inside the zone.
     *
     * @return the steering decision if a steered name was answered, else null
     */
    private SteeringAnswer answer(Message response, Message query, Name qname, int qtype, InetSocketAddress source) {
        Name name = qname;
        Set<Name> seen = new HashSet<>();
        for (int hop = 0; ; hop++) {
            if (hop > 0 && !name.subdomain(zone.origin())) {
                return null; // the resolver follows the CNAME out of our zone itself (RFC 1034 section 4.3.2 3a)
            }
            if (hop > MAX_CNAME_CHAIN || !seen.add(name)) {
                return null; // loop or absurd chain: give what we have, never spin
            }
            if (!zone.exists(name)) {
                // After a CNAME the rcode describes the last name in the chain (RFC 6604 section 2.1).
                response.getHeader().setRcode(Rcode.NXDOMAIN);
                addNegativeSoa(response);
                return null;
            }
            RRset cname = zone.rrset(name, Type.CNAME);
            if (qtype == Type.ANY) {
                // RFC 8482 section 4: answer ANY with one RRset, the CNAME if there is one, else a
                // synthesised HINFO, instead of everything at the name.
                if (cname != null) {
                    addRRset(response, cname, name);
                } else {
                    response.addRecord(new HINFORecord(name, DClass.IN, ANY_TTL, "RFC8482", ""), Section.ANSWER);
                }
                return null;
            }
            if (zone.isSteered(name) && (qtype == Type.A || qtype == Type.AAAA)) {
                SteeringAnswer steered = steering.steer(new SteeringQuery(name, qtype, source, query));
                int added = 0;
                for (InetAddress address : steered.addresses()) {
                    if (matchesFamily(qtype, address)) { // a policy's mistake must not become a bad record
                        response.addRecord(addressRecord(name, qtype, steered.ttlSeconds(), address), Section.ANSWER);
                        added++;
                    }
                }
                if (added == 0) {
                    addNegativeSoa(response); // NODATA: no address of this family
                }
                return steered;
            }
            if (cname != null && qtype != Type.CNAME) {
                addRRset(response, cname, name);
                name = ((CNAMERecord) cname.first()).getTarget();
                continue;
            }
            RRset rrset = zone.rrset(name, qtype);
            if (rrset == null) {
                addNegativeSoa(response); // NODATA: NOERROR, empty answer, SOA (RFC 2308 section 2.2)
                return null;
            }
            addRRset(response, rrset, name);
            addAdditional(response, rrset);
            return null;
        }
    }

    private static Record addressRecord(Name name, int qtype, long ttl, InetAddress address) {
        if (qtype == Type.A) {
            return new ARecord(name, DClass.IN, ttl, address);
        }
        return new AAAARecord(name, DClass.IN, ttl, address);
    }

    /**
     * Address records of in-zone names that NS, MX, SRV … answers point at (RFC 1034 section 4.3.2
     * step 6), so the resolver needs no second query. Steered names are skipped: their addresses
     * depend on who asks, and the resolver should ask for them.
     */
    private void addAdditional(Message response, RRset rrset) {
        Set<Name> names = new LinkedHashSet<>();
        for (Record record : rrset.rrs()) {
            Name target = record.getAdditionalName();
            if (target != null && target.subdomain(zone.origin()) && !zone.isSteered(target)) {
                names.add(target);
            }
        }
        for (Name target : names) {
            for (int type : new int[] {Type.A, Type.AAAA}) {
                RRset glue = zone.rrset(target, type);
                if (glue != null) {
                    for (Record record : glue.rrs()) {
                        response.addRecord(record, Section.ADDITIONAL);
                    }
                }
            }
        }
    }

    /**
     * The SOA in the authority section of NXDOMAIN and NODATA answers, with the negative-caching
     * TTL as its own TTL (RFC 2308 section 3).
     */
    private void addNegativeSoa(Message response) {
        SOARecord soa = zone.soa();
        response.addRecord(new SOARecord(soa.getName(), DClass.IN, zone.negativeTtl(), soa.getHost(), soa.getAdmin(),
                soa.getSerial(), soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum()),
                Section.AUTHORITY);
    }

    /** Adds {@code rrset} with its owner spelled as {@code owner} (the client's case at hop 0). */
    private static void addRRset(Message response, RRset rrset, Name owner) {
        for (Record record : rrset.rrs()) {
            response.addRecord(record.withName(owner), Section.ANSWER);
        }
    }

    /** Whether {@code address} belongs in an answer to {@code qtype} (A: IPv4, AAAA: IPv6). */
    static boolean matchesFamily(int qtype, InetAddress address) {
        return (qtype == Type.A) == (address instanceof Inet4Address);
    }
}
