package yunjing.dns.wire;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.answer.Responder;
import yunjing.dns.locate.ClientSubnet;
import yunjing.dns.steer.SteeringAnswer;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * Turns the bytes of one query into the bytes of its response, or null when the packet deserves
 * no answer. Owns the message envelope; the content comes from {@link Responder}:
 * <ol>
 * <li>under 12 bytes, or QR already set: drop (nothing to echo; never answer a response);
 * <li>unparseable after the header: FORMERR echoing id and opcode (RFC 1035 section 4.1.1);
 * <li>opcode other than QUERY: NOTIMP (RFC 1035 section 4.1.1), e.g. UPDATE or NOTIFY;
 * <li>QDCOUNT other than 1: FORMERR (RFC 9619 section 4);
 * <li>EDNS (RFC 6891): two OPTs FORMERR (6.1.1), version other than 0 BADVERS (6.1.3); an OPT in
 *     the query gets one in the response (7) with our payload size and DO copied (RFC 3225 section 3),
 *     and an EDNS Client Subnet option echoed with its scope (RFC 7871 section 7.2.1, {@link #ecsEcho});
 * <li>size: 512 bytes over UDP without EDNS (RFC 1035 section 4.2.1), else the client's advertised
 *     size, at least 512 (RFC 6891 section 6.2.5) and at most our {@value #UDP_PAYLOAD}; over TCP
 *     65535. Too big: TC with the question only (RFC 2181 section 9), so the client retries on TCP.
 * </ol>
 * Stateless and thread-safe; runs on event loops (parse and answer are cheap, no I/O).
 */
final class QueryProcessor {

    private static final System.Logger LOG = System.getLogger(QueryProcessor.class.getName());

    /**
     * The UDP payload size we advertise and the most we send: 1232 bytes avoids IP fragmentation
     * on practically every path (DNS Flag Day 2020; RFC 9715 section 3.2).
     */
    static final int UDP_PAYLOAD = 1232;
    static final int MIN_UDP = 512;
    static final int MAX_TCP = 65535;

    private final Supplier<Responder> responder;
    private final QueryMetrics metrics;
    private final boolean fastPath;
    /** Encoded answers of the zone alone (UDP, with the fast path: tests compare with and without). */
    private final StaticAnswerCache staticAnswers = new StaticAnswerCache();

    QueryProcessor(Responder responder, QueryMetrics metrics) {
        this(() -> responder, metrics);
    }

    /** @param responder the current answers (a cheap read: the server swaps them on reload) */
    QueryProcessor(Supplier<Responder> responder, QueryMetrics metrics) {
        this(responder, metrics, true);
    }

    /**
     * @param fastPath whether steered A/AAAA queries may take {@link SteeredFastPath} and answers of the
     *                 zone alone may come from {@link StaticAnswerCache} (tests compare both)
     */
    QueryProcessor(Supplier<Responder> responder, QueryMetrics metrics, boolean fastPath) {
        this.responder = responder;
        this.metrics = metrics;
        this.fastPath = fastPath;
    }

    /** The cache of answers of the zone alone (tests check it is used). */
    StaticAnswerCache staticAnswers() {
        return staticAnswers;
    }

    /**
     * Never throws: an unexpected exception outside the responder (which gets SERVFAIL) is
     * counted in {@code yunjing.dns.errors} and the packet gets no answer.
     */
    byte[] process(byte[] in, Transport transport, InetSocketAddress source) {
        try {
            return processUnguarded(in, transport, source);
        } catch (RuntimeException e) {
            metrics.error();
            LOG.log(Level.WARNING, "handling a " + in.length + "-byte " + transport + " packet failed", e);
            return null;
        }
    }

    /**
     * The TC form of an encoded response (header, question, OPT; RFC 2181 section 9), for a
     * rate-limited response that slips; null if the response cannot be read back (never expected).
     */
    static byte[] slip(byte[] response) {
        try {
            return truncated(new Message(response)).toWire();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private byte[] processUnguarded(byte[] in, Transport transport, InetSocketAddress source) {
        long start = System.nanoTime();
        Responder answering = responder.get(); // one generation for the whole query
        if (fastPath) {
            byte[] fast = SteeredFastPath.answer(in, transport, source, answering, metrics, start);
            if (fast != null) {
                return fast;
            }
            if (transport == Transport.UDP) {
                StaticAnswerCache.Entry hit = staticAnswers.get(in, answering);
                if (hit != null) {
                    byte[] out = StaticAnswerCache.answer(hit, in);
                    if (hit.truncated()) {
                        metrics.truncated();
                    }
                    metrics.answered(transport, hit.rcode(), hit.qtype(), start);
                    metrics.named(hit.name(), hit.rcode());
                    return out;
                }
            }
        }
        if (in.length < Header.LENGTH) {
            metrics.dropped("short");
            return null;
        }
        Header header;
        try {
            header = new Header(in);
        } catch (IOException e) {
            metrics.dropped("short");
            return null;
        }
        if (header.getFlag(Flags.QR)) {
            metrics.dropped("response"); // answering responses invites reflection loops
            return null;
        }
        Message query;
        try {
            query = new Message(in);
        } catch (IOException | RuntimeException e) {
            byte[] out = encode(error(header, null, Rcode.FORMERR), null, transport);
            metrics.answered(transport, Rcode.FORMERR, QueryMetrics.NO_QTYPE, start);
            return out;
        }
        if (transport == Transport.UDP && in.length > MIN_UDP && in.length > limit(transport, query.getOPT())) {
            // Larger than the client may send us: 512 without EDNS (RFC 1035 section 4.2.1), else
            // its payload size capped to ours. Not a query a real resolver sends; no answer.
            metrics.dropped("oversize");
            return null;
        }
        Record question = query.getQuestion();
        int qtype = question == null ? QueryMetrics.NO_QTYPE : question.getType();
        OPTRecord opt = query.getOPT();
        Message response;
        int rcode;
        SteeringAnswer steered = null;
        Name name = null;
        boolean cacheable = false; // a reply of the zone alone: no steering, no exception
        if (header.getOpcode() != Opcode.QUERY) {
            response = error(header, question, Rcode.NOTIMP);
            rcode = Rcode.NOTIMP;
        } else if (header.getCount(Section.QUESTION) != 1 || question == null) {
            // question == null with QDCOUNT 1: TC was set, and dnsjava then accepts a message that
            // ends early (found by QueryProcessorFuzzTest). Incomplete query: FORMERR.
            response = error(header, null, Rcode.FORMERR);
            rcode = Rcode.FORMERR;
        } else if (optCount(query) > 1) {
            response = error(header, question, Rcode.FORMERR);
            rcode = Rcode.FORMERR;
        } else if (opt != null && opt.getVersion() != 0) {
            response = error(header, question, Rcode.NOERROR); // BADVERS lives in the OPT's upper rcode bits
            rcode = Rcode.BADVERS;
        } else {
            try {
                Responder.Reply reply = answering.reply(query, source);
                response = reply.message();
                steered = reply.steered();
                name = reply.name();
                rcode = response.getHeader().getRcode();
                cacheable = steered == null;
            } catch (RuntimeException e) {
                metrics.error();
                LOG.log(Level.WARNING, "answering " + question + " failed", e);
                response = error(header, question, Rcode.SERVFAIL);
                rcode = Rcode.SERVFAIL;
            }
        }
        if (opt != null) {
            response.addRecord(new OPTRecord(UDP_PAYLOAD, rcode >>> 4, 0, opt.getFlags() & ExtendedFlags.DO,
                    ecsEcho(opt, steered)), Section.ADDITIONAL);
        }
        byte[] out = encode(response, opt, transport);
        if (cacheable && fastPath && transport == Transport.UDP) {
            boolean truncated = (out[2] & 0x02) != 0; // TC: only encode sets it
            staticAnswers.put(in, answering, out, rcode, qtype, name, truncated);
        }
        metrics.answered(transport, rcode, qtype, start);
        if (question != null && header.getOpcode() == Opcode.QUERY) {
            metrics.named(name, rcode);
        }
        if (steered != null) {
            metrics.steered(steered.rule());
            if (steered.failOpen()) {
                metrics.failOpen();
            }
        }
        return out;
    }

    /**
     * The ECS option of the response (RFC 7871 section 7.2.1): FAMILY, SOURCE PREFIX-LENGTH and
     * ADDRESS as the query sent them, and a SCOPE PREFIX-LENGTH saying how much of the address the
     * answer depended on. An answer that did not depend on the client (not steered, or fail-open)
     * gets scope 0. A steered one gets the widest block over which the locator's answer is the
     * same, capped to the source prefix: the resolver cannot use a longer scope than it sent
     * (section 7.3.1 caches it as the source prefix anyway), and we only located the source block.
     */
    static List<EDNSOption> ecsEcho(OPTRecord queryOpt, SteeringAnswer steered) {
        ClientSubnetOption ecs = ClientSubnet.of(queryOpt);
        if (ecs == null) {
            return List.of();
        }
        int source = ecs.getSourcePrefixLength();
        int scope = steered == null ? 0 : Math.min(source, steered.scopePrefix());
        try {
            return List.of(new ClientSubnetOption(source, scope, ecs.getAddress()));
        } catch (IllegalArgumentException e) {
            // e.g. FAMILY 2 carrying an IPv4-mapped address, which Java turns into an IPv4 address
            // longer than its source prefix allows: no echo rather than a wrong one.
            return List.of();
        }
    }

    /** Serialises, replacing the message by its TC form when it exceeds the transport's limit. */
    private byte[] encode(Message response, OPTRecord queryOpt, Transport transport) {
        byte[] wire = response.toWire();
        int limit = limit(transport, queryOpt);
        if (wire.length > limit) {
            metrics.truncated();
            wire = truncated(response).toWire();
        }
        return wire;
    }

    static int limit(Transport transport, OPTRecord queryOpt) {
        if (transport == Transport.TCP) {
            return MAX_TCP;
        }
        if (queryOpt == null) {
            return MIN_UDP;
        }
        return Math.max(MIN_UDP, Math.min(UDP_PAYLOAD, queryOpt.getPayloadSize()));
    }

    /** The same header with TC set, the question, and the OPT if any: nothing else. */
    static Message truncated(Message full) {
        Header h = full.getHeader();
        Message tc = new Message(h.getID());
        Header t = tc.getHeader();
        for (int flag : new int[] {Flags.QR, Flags.AA, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (h.getFlag(flag)) {
                t.setFlag(flag);
            }
        }
        t.setFlag(Flags.TC);
        t.setOpcode(h.getOpcode());
        t.setRcode(h.getRcode());
        Record question = full.getQuestion();
        if (question != null) {
            tc.addRecord(question, Section.QUESTION);
        }
        OPTRecord opt = full.getOPT();
        if (opt != null) {
            tc.addRecord(opt, Section.ADDITIONAL);
        }
        return tc;
    }

    /** An error response echoing id, opcode and RD (RFC 1035 section 4.1.1), with the question if given. */
    private static Message error(Header query, Record question, int rcode) {
        Message response = new Message(query.getID());
        Header h = response.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(query.getOpcode());
        if (query.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        h.setRcode(rcode);
        if (question != null) {
            response.addRecord(question, Section.QUESTION);
        }
        return response;
    }

    private static int optCount(Message query) {
        int n = 0;
        for (Record r : query.getSection(Section.ADDITIONAL)) {
            if (r.getType() == Type.OPT) {
                n++;
            }
        }
        return n;
    }
}
