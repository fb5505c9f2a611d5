package yunjing.dns.wire;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import yunjing.dns.answer.Responder;
import yunjing.dns.steer.SteeringAnswer;
import yunjing.dns.testing.TestZone;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

class QueryProcessorTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.53", 40000);

    @TempDir
    Path dir;

    private WireFixture fixture;

    @BeforeEach
    void setUp() {
        fixture = new WireFixture(dir);
    }

    private static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
    }

    private static Message withOpt(Message query, int payload, int version, int flags) {
        query.addRecord(new OPTRecord(payload, 0, version, flags), Section.ADDITIONAL);
        return query;
    }

    private Message process(Message query, Transport transport) throws IOException {
        byte[] out = fixture.processor.process(query.toWire(), transport, CLIENT);
        assertNotNull(out, "expected an answer");
        return new Message(out);
    }

    @Test
    void garbageAfterAValidHeaderIsFormerrEchoingTheId() throws IOException {
        byte[] packet = {(byte) 0xBE, (byte) 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b'};
        byte[] out = fixture.processor.process(packet, Transport.UDP, CLIENT);
        assertNotNull(out);
        Message r = new Message(out);
        assertEquals(0xBEEF, r.getHeader().getID());
        assertEquals(Rcode.FORMERR, r.getRcode());
        assertTrue(r.getHeader().getFlag(Flags.QR));
        assertTrue(r.getHeader().getFlag(Flags.RD), "RD copied");
        assertEquals(1.0, fixture.registry.get("yunjing.dns.queries").tag("rcode", "FORMERR").tag("qtype", "none")
                .counter().count());
    }

    @Test
    void packetShorterThanAHeaderIsDropped() {
        assertNull(fixture.processor.process(new byte[] {1, 2, 3}, Transport.UDP, CLIENT));
        assertEquals(1.0, fixture.registry.get("yunjing.dns.dropped").tag("reason", "short").counter().count());
    }

    @Test
    void responsesAreNeverAnswered() {
        Message m = query("api.mirror.test.", Type.A);
        m.getHeader().setFlag(Flags.QR);
        assertNull(fixture.processor.process(m.toWire(), Transport.UDP, CLIENT));
    }

    @Test
    void updateAndNotifyAreNotImplemented() throws IOException {
        for (int opcode : new int[] {Opcode.UPDATE, Opcode.NOTIFY}) {
            Message m = query("mirror.test.", Type.SOA);
            m.getHeader().setOpcode(opcode);
            Message r = process(m, Transport.UDP);
            assertEquals(Rcode.NOTIMP, r.getRcode(), Opcode.string(opcode));
            assertEquals(opcode, r.getHeader().getOpcode(), "opcode echoed");
            assertEquals(m.getHeader().getID(), r.getHeader().getID());
        }
    }

    @Test
    void queryWithoutQuestionIsFormerr() throws IOException {
        Message m = new Message();
        assertEquals(Rcode.FORMERR, process(m, Transport.UDP).getRcode());
    }

    @Test
    void queryWithTwoQuestionsIsFormerr() throws IOException {
        Message m = query("api.mirror.test.", Type.A);
        m.addRecord(Record.newRecord(name("models.mirror.test."), Type.A, DClass.IN), Section.QUESTION);
        assertEquals(Rcode.FORMERR, process(m, Transport.UDP).getRcode());
    }

    @Test
    void ednsQueryGetsOurPayloadSizeAndItsDoBitBack() throws IOException {
        Message r = process(withOpt(query("api.mirror.test.", Type.A), 4096, 0, ExtendedFlags.DO), Transport.UDP);
        OPTRecord opt = r.getOPT();
        assertNotNull(opt);
        assertEquals(QueryProcessor.UDP_PAYLOAD, opt.getPayloadSize());
        assertEquals(0, opt.getVersion());
        assertEquals(ExtendedFlags.DO, opt.getFlags() & ExtendedFlags.DO);
    }

    @Test
    void queryWithoutEdnsGetsNoOpt() throws IOException {
        assertNull(process(query("api.mirror.test.", Type.A), Transport.UDP).getOPT());
    }

    @Test
    void unknownEdnsVersionIsBadvers() throws IOException {
        Message r = process(withOpt(query("api.mirror.test.", Type.A), 1232, 1, 0), Transport.UDP);
        assertEquals(Rcode.BADVERS, r.getRcode());
        assertEquals(0, r.getOPT().getVersion(), "we answer with the version we speak");
        assertTrue(r.getSection(Section.ANSWER).isEmpty());
    }

    @Test
    void twoOptRecordsAreFormerr() throws IOException {
        Message m = withOpt(withOpt(query("api.mirror.test.", Type.A), 1232, 0, 0), 1232, 0, 0);
        assertEquals(Rcode.FORMERR, process(m, Transport.UDP).getRcode());
    }

    @Test
    void oversizedUdpAnswerIsTruncatedToTheQuestion() throws IOException {
        Message r = process(query("big.mirror.test.", Type.TXT), Transport.UDP);
        assertTrue(r.getHeader().getFlag(Flags.TC));
        assertTrue(r.getHeader().getFlag(Flags.AA));
        assertEquals(name("big.mirror.test."), r.getQuestion().getName());
        assertTrue(r.getSection(Section.ANSWER).isEmpty());
        assertEquals(1.0, fixture.registry.get("yunjing.dns.truncated").counter().count());
    }

    @Test
    void sameAnswerFitsWhenTheClientAdvertisesMore() throws IOException {
        Message r = process(withOpt(query("big.mirror.test.", Type.TXT), 1232, 0, 0), Transport.UDP);
        assertFalse(r.getHeader().getFlag(Flags.TC));
        assertEquals(1, r.getSection(Section.ANSWER).size());
    }

    @Test
    void tinyAdvertisedSizeCountsAs512() {
        assertEquals(512, QueryProcessor.limit(Transport.UDP, new OPTRecord(100, 0, 0)));
        assertEquals(QueryProcessor.UDP_PAYLOAD, QueryProcessor.limit(Transport.UDP, new OPTRecord(65000, 0, 0)));
        assertEquals(512, QueryProcessor.limit(Transport.UDP, null));
        assertEquals(65535, QueryProcessor.limit(Transport.TCP, null));
    }

    @Test
    void tcpAnswerIsNotTruncated() throws IOException {
        Message r = process(query("big.mirror.test.", Type.TXT), Transport.TCP);
        assertFalse(r.getHeader().getFlag(Flags.TC));
        assertEquals(1, r.getSection(Section.ANSWER).size());
    }

    @Test
    void queriesAreCountedByRcodeQtypeAndTransport() throws IOException {
        process(query("api.mirror.test.", Type.A), Transport.UDP);
        process(query("nope.mirror.test.", Type.AAAA), Transport.TCP);
        process(query("mirror.test.", 65280), Transport.UDP);
        var registry = fixture.registry;
        assertEquals(1.0, registry.get("yunjing.dns.queries").tags("rcode", "NOERROR", "qtype", "A", "transport", "udp")
                .counter().count());
        assertEquals(1.0, registry.get("yunjing.dns.queries").tags("rcode", "NXDOMAIN", "qtype", "AAAA",
                "transport", "tcp").counter().count());
        assertEquals(1.0, registry.get("yunjing.dns.queries").tags("qtype", "other").counter().count());
        assertEquals(2, registry.get("yunjing.dns.answer.latency").tag("transport", "udp").functionTimer().count());
    }

    /** A processor whose steering always answers 192.0.2.41 with the given ECS scope. */
    private QueryProcessor steeringWithScope(int scopePrefix) throws IOException {
        InetAddress a = InetAddress.getByName("192.0.2.41");
        return new QueryProcessor(new Responder(TestZone.load(dir),
                q -> new SteeringAnswer(List.of(a), 30, false, "carrier+province", scopePrefix)), fixture.metrics);
    }

    private static Message withEcs(Message query, EDNSOption ecs) {
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(ecs)), Section.ADDITIONAL);
        return query;
    }

    private static ClientSubnetOption ecsOf(Message response) {
        return (ClientSubnetOption) response.getOPT().getOptions(EDNSOption.Code.CLIENT_SUBNET).get(0);
    }

    private static Message run(QueryProcessor processor, Message query) throws IOException {
        return new Message(processor.process(query.toWire(), Transport.UDP, CLIENT));
    }

    @Test
    void ecsEcho_keepsFamilySourceAndAddress_scopeFromSteering() throws IOException {
        Message r = run(steeringWithScope(16), withEcs(query("api.mirror.test.", Type.A),
                new ClientSubnetOption(24, InetAddress.getByName("10.1.2.0"))));
        ClientSubnetOption echo = ecsOf(r);
        assertEquals(1, echo.getFamily());
        assertEquals(24, echo.getSourcePrefixLength());
        assertEquals(16, echo.getScopePrefixLength());
        assertEquals(InetAddress.getByName("10.1.2.0"), echo.getAddress());
        assertEquals(1.0, fixture.registry.get("yunjing.dns.steered").tag("rule", "carrier+province").counter()
                .count());
    }

    @Test
    void ecsEcho_scopeNeverExceedsSourcePrefix() throws IOException {
        Message r = run(steeringWithScope(28), withEcs(query("api.mirror.test.", Type.A),
                new ClientSubnetOption(24, InetAddress.getByName("10.1.2.0"))));
        assertEquals(24, ecsOf(r).getScopePrefixLength());
    }

    @Test
    void ecsEcho_sourcePrefixZero_scopeZero() throws IOException {
        Message r = run(steeringWithScope(16), withEcs(query("api.mirror.test.", Type.A),
                new ClientSubnetOption(0, InetAddress.getByName("0.0.0.0"))));
        assertEquals(0, ecsOf(r).getSourcePrefixLength());
        assertEquals(0, ecsOf(r).getScopePrefixLength());
    }

    @Test
    void ecsEcho_unsteeredAnswer_scopeZero() throws IOException {
        Message r = run(steeringWithScope(16), withEcs(query("mirror.test.", Type.SOA),
                new ClientSubnetOption(24, InetAddress.getByName("10.1.2.0"))));
        assertEquals(0, ecsOf(r).getScopePrefixLength());
    }

    @Test
    void ecsWithAddressBitsPastSourcePrefix_isFormerr() throws IOException {
        // RFC 7871 section 6: ADDRESS must be truncated to SOURCE PREFIX-LENGTH; section 7.1.1: FORMERR.
        byte[] bad = {0, 1, 24, 0, 10, 1, 2, 3}; // family 1, source /24, scope 0, four address bytes
        Message r = process(withEcs(query("api.mirror.test.", Type.A),
                new GenericEDNSOption(EDNSOption.Code.CLIENT_SUBNET, bad)), Transport.UDP);
        assertEquals(Rcode.FORMERR, r.getRcode());
    }

    @Test
    void healthPolicyAnswersAreCountedAsRuleHealth() throws IOException {
        process(query("api.mirror.test.", Type.A), Transport.UDP);
        assertEquals(1.0, fixture.registry.get("yunjing.dns.steered").tag("rule", "health").counter().count());
    }

    /** A query padded with a TXT record in the additional section to {@code size} bytes or a little more. */
    private static Message padded(Message query, int size) throws IOException {
        int missing = size - query.toWire().length;
        StringBuilder text = new StringBuilder();
        while (missing > 0) {
            int n = Math.min(200, missing);
            text.append(text.isEmpty() ? "" : " ").append('"').append("p".repeat(n)).append('"');
            missing -= n + 3;
        }
        query.addRecord(Record.fromString(name("pad.mirror.test."), Type.TXT, DClass.IN, 0, text.toString(),
                name("mirror.test.")), Section.ADDITIONAL);
        return query;
    }

    @Test
    void udpQueryOver512BytesWithoutEdnsIsDroppedButAnsweredOverTcp() throws IOException {
        byte[] big = padded(query("api.mirror.test.", Type.A), 600).toWire();
        assertTrue(big.length > 512, "length " + big.length);
        assertNull(fixture.processor.process(big, Transport.UDP, CLIENT));
        assertEquals(1.0, fixture.registry.counter("yunjing.dns.dropped", "reason", "oversize").count());
        assertNotNull(fixture.processor.process(big, Transport.TCP, CLIENT));
    }

    @Test
    void udpQueryWithinTheEdnsPayloadIsAnsweredAndOverItDropped() throws IOException {
        byte[] fits = padded(withOpt(query("api.mirror.test.", Type.A), 1232, 0, 0), 900).toWire();
        assertNotNull(fixture.processor.process(fits, Transport.UDP, CLIENT));
        byte[] over = padded(withOpt(query("api.mirror.test.", Type.A), 700, 0, 0), 900).toWire();
        assertNull(fixture.processor.process(over, Transport.UDP, CLIENT));
    }

    @Test
    void slipKeepsHeaderAndQuestionAndSetsTc() throws IOException {
        byte[] full = fixture.processor.process(query("api.mirror.test.", Type.A).toWire(), Transport.UDP, CLIENT);
        Message slipped = new Message(QueryProcessor.slip(full));
        assertTrue(slipped.getHeader().getFlag(Flags.TC));
        assertTrue(slipped.getHeader().getFlag(Flags.AA));
        assertEquals(0, slipped.getSection(Section.ANSWER).size());
        assertEquals(name("api.mirror.test."), slipped.getQuestion().getName());
    }

    /** Regression: with TC set dnsjava parses a message that ends inside the question; that was an NPE (SERVFAIL). */
    @Test
    void queryWithTcThatEndsInsideTheQuestionIsFormerr() throws IOException {
        Message q = query("api.mirror.test.", Type.A);
        q.getHeader().setID(4321);
        byte[] wire = java.util.Arrays.copyOf(q.toWire(), 16);
        wire[2] |= 0x02; // TC
        Message r = new Message(fixture.processor.process(wire, Transport.UDP, CLIENT));
        assertEquals(Rcode.FORMERR, r.getRcode());
        assertEquals(4321, r.getHeader().getID());
        assertEquals(0.0, fixture.registry.counter("yunjing.dns.errors").count());
    }
}
