package yunjing.dns.wire;

import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;
import yunjing.dns.answer.Responder;
import yunjing.dns.steer.SteeringAnswer;
import yunjing.dns.steer.SteeringQuery;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Answers the query the server gets most, an A or AAAA question for a steered name with at most an
 * EDNS OPT carrying Client Subnet, without building dnsjava messages: it reads header, question and
 * OPT in place and writes the response bytes directly (profiling under dnsperf showed message parsing
 * and encoding as the largest cost once the locator was cached).
 *
 * <p>It writes exactly what {@link QueryProcessor}'s general path writes for such a query (the same
 * header flags, the question copied, one answer per address with its owner compressed to the question,
 * the OPT with payload 1232, DO copied and the ECS echo; {@code SteeredFastPathTest} compares the two
 * byte for byte). Anything else — other shapes, compression pointers, other EDNS options, unusual ECS,
 * an empty (NODATA) answer, a response over the size limit — returns null and takes the general path.
 * Stateless; runs on event loops.
 */
final class SteeredFastPath {

    private static final int HEADER = 12;
    private static final int TYPE_OPT = 41;
    private static final int ECS_CODE = 8;

    private SteeredFastPath() {
    }

    /** The encoded response, or null when the general path must answer. */
    static byte[] answer(byte[] in, Transport transport, InetSocketAddress source, Responder responder,
            QueryMetrics metrics, long startNanos) {
        if (in.length < HEADER + 5 || in.length > QueryProcessor.MIN_UDP) {
            return null;
        }
        int flags1 = in[2] & 0xFF;
        // QR clear, opcode QUERY, TC clear; QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
        if ((flags1 & 0xFA) != 0 || u16(in, 4) != 1 || u16(in, 6) != 0 || u16(in, 8) != 0 || u16(in, 10) > 1) {
            return null;
        }
        int pos = HEADER;
        while (true) {
            int len = in[pos] & 0xFF;
            if (len == 0) {
                break;
            }
            if (len > 63 || pos + len + 1 >= in.length) {
                return null; // a pointer (none belongs in a question) or a name running off the end
            }
            pos += len + 1;
        }
        int questionEnd = pos + 5;
        if (questionEnd > in.length || questionEnd - HEADER > 255 + 4) {
            return null;
        }
        int qtype = u16(in, pos + 1);
        if ((qtype != Type.A && qtype != Type.AAAA) || u16(in, pos + 3) != 1) {
            return null;
        }
        boolean hasOpt = u16(in, 10) == 1;
        int payload = 0;
        boolean dnssecOk = false;
        boolean hasEcs = false;
        InetAddress ecsAddress = null; // null with ECS: source prefix 0, the resolver is located
        int ecsAt = -1;
        int ecsLength = 0;
        pos = questionEnd;
        if (hasOpt) {
            if (pos + 11 > in.length || in[pos] != 0 || u16(in, pos + 1) != TYPE_OPT || in[pos + 5] != 0 || in[pos + 6] != 0) {
                return null; // not a root-owned OPT, or extended rcode / version set (BADVERS is the general path's)
            }
            payload = u16(in, pos + 3);
            dnssecOk = (in[pos + 7] & 0x80) != 0;
            int rdLength = u16(in, pos + 9);
            pos += 11;
            if (pos + rdLength != in.length) {
                return null;
            }
            if (rdLength > 0) {
                if (rdLength < 8 || u16(in, pos) != ECS_CODE || u16(in, pos + 2) != rdLength - 4) {
                    return null; // one ECS option and nothing else
                }
                ecsAt = pos + 4;
                ecsLength = rdLength - 4;
                if (!isPlainClientSubnet(in, ecsAt, ecsLength)) {
                    return null;
                }
                hasEcs = true;
                ecsAddress = clientSubnetAddress(in, ecsAt, ecsLength);
            }
        } else if (pos != in.length) {
            return null;
        }

        // The zone's own spelling of the name: the answer copies the client's from the question.
        Name qname = responder.steeredName(in, HEADER, questionEnd - 4 - HEADER);
        if (qname == null) {
            return null;
        }
        InetAddress client = ecsAddress != null ? ecsAddress : source == null ? null : source.getAddress();
        SteeringAnswer steered = responder.steer(new SteeringQuery(qname, qtype, source, null, client));
        List<InetAddress> addresses = steered.addresses();
        int count = 0;
        int rdata = qtype == Type.A ? 4 : 16;
        for (InetAddress a : addresses) {
            if ((a instanceof Inet4Address) == (rdata == 4)) { // no copy of the address just to count
                count++;
            }
        }
        if (count == 0) {
            return null; // NODATA carries the SOA: the general path writes it
        }
        int size = questionEnd + count * (12 + rdata) + (hasOpt ? 11 + (hasEcs ? 4 + ecsLength : 0) : 0);
        int limit = transport == Transport.TCP ? QueryProcessor.MAX_TCP
                : !hasOpt ? QueryProcessor.MIN_UDP
                : Math.max(QueryProcessor.MIN_UDP, Math.min(QueryProcessor.UDP_PAYLOAD, payload));
        if (size > limit) {
            return null;
        }

        byte[] out = new byte[size];
        out[0] = in[0];
        out[1] = in[1];
        out[2] = (byte) (0x80 | 0x04 | (flags1 & 0x01)); // QR, AA, RD copied (RFC 1035 section 4.1.1)
        out[3] = (byte) (in[3] & 0x10);                   // CD copied (RFC 4035 section 3.1.6); RA clear, NOERROR
        put16(out, 4, 1);
        put16(out, 6, count);
        put16(out, 10, hasOpt ? 1 : 0);
        System.arraycopy(in, HEADER, out, HEADER, questionEnd - HEADER); // the client's spelling (0x20)
        int w = questionEnd;
        for (InetAddress a : addresses) {
            byte[] bytes = a.getAddress();
            if (bytes.length != rdata) {
                continue;
            }
            put16(out, w, 0xC000 | HEADER); // owner: the question's name
            put16(out, w + 2, qtype);
            put16(out, w + 4, 1);
            put32(out, w + 6, steered.ttlSeconds());
            put16(out, w + 10, rdata);
            System.arraycopy(bytes, 0, out, w + 12, rdata);
            w += 12 + rdata;
        }
        if (hasOpt) {
            out[w] = 0;
            put16(out, w + 1, TYPE_OPT);
            put16(out, w + 3, QueryProcessor.UDP_PAYLOAD);
            out[w + 7] = (byte) (dnssecOk ? 0x80 : 0); // extended rcode 0, version 0, DO copied
            put16(out, w + 9, hasEcs ? 4 + ecsLength : 0);
            w += 11;
            if (hasEcs) {
                put16(out, w, ECS_CODE);
                put16(out, w + 2, ecsLength);
                System.arraycopy(in, ecsAt, out, w + 4, ecsLength);
                int sourcePrefix = in[ecsAt + 2] & 0xFF;
                out[w + 4 + 3] = (byte) Math.min(sourcePrefix, steered.scopePrefix()); // SCOPE (RFC 7871 section 7.2.1)
            }
        }
        metrics.answered(transport, Rcode.NOERROR, qtype, startNanos);
        metrics.named(qname, Rcode.NOERROR);
        metrics.steered(steered.rule());
        if (steered.failOpen()) {
            metrics.failOpen();
        }
        return out;
    }

    /**
     * Whether the ECS option at {@code at} (FAMILY, SOURCE, SCOPE, ADDRESS) is one that dnsjava reads
     * the same way: family 1 or 2, SCOPE 0, exactly ceil(SOURCE/8) address bytes, no bits set past
     * SOURCE, and an IPv6 address that is not IPv4-mapped (Java would make that an IPv4 address).
     */
    private static boolean isPlainClientSubnet(byte[] in, int at, int length) {
        int family = u16(in, at);
        int sourcePrefix = in[at + 2] & 0xFF;
        int scope = in[at + 3] & 0xFF;
        int bytes = length - 4;
        int width = family == 1 ? 4 : family == 2 ? 16 : 0;
        if (width == 0 || scope != 0 || sourcePrefix > width * 8 || bytes != (sourcePrefix + 7) / 8) {
            return false;
        }
        if (sourcePrefix % 8 != 0 && (in[at + 4 + bytes - 1] & (0xFF >>> (sourcePrefix % 8))) != 0) {
            return false;
        }
        return family == 1 || !isIpv4Mapped(in, at + 4, bytes);
    }

    /** The address of a plain ECS option (zero-filled past SOURCE), or null when SOURCE is 0. */
    private static InetAddress clientSubnetAddress(byte[] in, int at, int length) {
        if ((in[at + 2] & 0xFF) == 0) {
            return null; // RFC 7871 section 7.1.2: SOURCE 0 asks not to use the client's address
        }
        byte[] address = new byte[u16(in, at) == 1 ? 4 : 16];
        System.arraycopy(in, at + 4, address, 0, length - 4);
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes
        }
    }

    /** Whether the first {@code bytes} of a 16-byte address could be ::ffff:0:0/96 (zero-filled after them). */
    private static boolean isIpv4Mapped(byte[] in, int at, int bytes) {
        for (int i = 0; i < 16; i++) {
            int b = i < bytes ? in[at + i] & 0xFF : 0;
            int mapped = i < 10 ? 0 : i < 12 ? 0xFF : -1;
            if (mapped >= 0 && b != mapped) {
                return false;
            }
        }
        return true;
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    private static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    private static void put32(byte[] b, int at, long v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
