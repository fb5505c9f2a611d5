package yunjing.dns.answer;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import yunjing.dns.steer.SteeringAnswer;
import yunjing.dns.steer.SteeringQuery;
import yunjing.dns.testing.TestZone;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

class ResponderTest {

    private static final InetSocketAddress RESOLVER = new InetSocketAddress("192.0.2.53", 5353);

    @TempDir
    Path dir;

    private final List<SteeringQuery> steered = new ArrayList<>();
    private Responder responder;

    @BeforeEach
    void load() {
        responder = new Responder(TestZone.load(dir), query -> {
            steered.add(query);
            try {
                return query.type() == Type.A
                        ? new SteeringAnswer(List.of(InetAddress.getByName("192.0.2.41"),
                                InetAddress.getByName("192.0.2.42")), 30, false)
                        : SteeringAnswer.NONE;
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        });
    }

    private Message ask(String name, int type) {
        Message query = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        return responder.respond(query, RESOLVER);
    }

    private static void assertNegative(Message response) {
        assertTrue(response.getSection(Section.ANSWER).isEmpty());
        List<Record> authority = response.getSection(Section.AUTHORITY);
        assertEquals(1, authority.size());
        SOARecord soa = assertInstanceOf(SOARecord.class, authority.get(0));
        assertEquals(30, soa.getTTL(), "negative TTL = min(SOA TTL, MINIMUM), RFC 2308 section 3");
    }

    @Test
    void steeredNameIsAnsweredByThePolicyWithAuthority() {
        Message r = ask("api.mirror.test.", Type.A);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertTrue(r.getHeader().getFlag(Flags.AA));
        assertFalse(r.getHeader().getFlag(Flags.RA));
        assertEquals(2, r.getSection(Section.ANSWER).size());
        assertEquals(30, r.getSection(Section.ANSWER).get(0).getTTL());
        assertEquals(RESOLVER, steered.get(0).source());
    }

    @Test
    void steeredNameWithoutAddressesOfTheFamilyIsNodata() {
        Message r = ask("api.mirror.test.", Type.AAAA);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertNegative(r);
    }

    @Test
    void unknownNameIsNxdomainWithSoa() {
        Message r = ask("nope.mirror.test.", Type.A);
        assertEquals(Rcode.NXDOMAIN, r.getRcode());
        assertTrue(r.getHeader().getFlag(Flags.AA));
        assertNegative(r);
    }

    @Test
    void emptyNonTerminalIsNodataNotNxdomain() {
        Message r = ask("ent.mirror.test.", Type.A);
        assertEquals(Rcode.NOERROR, r.getRcode(), "RFC 8020");
        assertNegative(r);
    }

    @Test
    void existingNameWithoutTheTypeIsNodata() {
        Message r = ask("static.mirror.test.", Type.TXT);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertNegative(r);
    }

    @Test
    void nameOutsideTheZoneIsRefusedWithoutAuthority() {
        Message r = ask("example.com.", Type.A);
        assertEquals(Rcode.REFUSED, r.getRcode());
        assertFalse(r.getHeader().getFlag(Flags.AA));
        assertTrue(r.getSection(Section.ANSWER).isEmpty());
    }

    @Test
    void otherClassIsRefused() {
        Message query = Message.newQuery(Record.newRecord(name("version.bind."), Type.TXT, DClass.CH));
        assertEquals(Rcode.REFUSED, responder.respond(query, RESOLVER).getRcode());
    }

    @Test
    void zoneTransferIsRefused() {
        assertEquals(Rcode.REFUSED, ask("mirror.test.", Type.AXFR).getRcode());
    }

    @Test
    void cnameChainInsideTheZoneIsFollowedToTheSteeredName() {
        Message r = ask("docs.mirror.test.", Type.A);
        List<Record> answer = r.getSection(Section.ANSWER);
        assertEquals(4, answer.size(), answer.toString());
        assertEquals(name("www.mirror.test."), ((CNAMERecord) answer.get(0)).getTarget());
        assertEquals(name("api.mirror.test."), ((CNAMERecord) answer.get(1)).getTarget());
        assertInstanceOf(ARecord.class, answer.get(2));
        assertEquals(name("api.mirror.test."), answer.get(2).getName());
    }

    @Test
    void cnameOutOfTheZoneIsLeftForTheResolver() {
        Message r = ask("outside.mirror.test.", Type.A);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals(1, r.getSection(Section.ANSWER).size());
        assertTrue(r.getSection(Section.AUTHORITY).isEmpty());
    }

    @Test
    void cnameToAMissingNameIsNxdomainForTheLastName() {
        Message r = ask("dangling.mirror.test.", Type.A);
        assertEquals(Rcode.NXDOMAIN, r.getRcode(), "RFC 6604 section 2.1");
        assertEquals(1, r.getSection(Section.ANSWER).size());
    }

    @Test
    void cnameLoopEndsWithoutSpinning() {
        Message r = ask("loop1.mirror.test.", Type.A);
        assertEquals(Rcode.NOERROR, r.getRcode());
        assertEquals(2, r.getSection(Section.ANSWER).size());
    }

    @Test
    void cnameQueryReturnsTheCnameItself() {
        Message r = ask("www.mirror.test.", Type.CNAME);
        assertEquals(1, r.getSection(Section.ANSWER).size());
        assertTrue(steered.isEmpty());
    }

    @Test
    void anyIsAnsweredWithTheRfc8482Hinfo() {
        Message r = ask("mirror.test.", Type.ANY);
        List<Record> answer = r.getSection(Section.ANSWER);
        assertEquals(1, answer.size());
        assertEquals("RFC8482", ((HINFORecord) answer.get(0)).getCPU());
    }

    @Test
    void nsAnswerCarriesTheNameserverAddresses() {
        Message r = ask("mirror.test.", Type.NS);
        assertEquals(1, r.getSection(Section.ANSWER).size());
        List<Record> additional = r.getSection(Section.ADDITIONAL);
        assertEquals(1, additional.size());
        assertEquals(name("ns1.mirror.test."), additional.get(0).getName());
    }

    @Test
    void mxAnswerCarriesTheExchangeAddresses() {
        Message r = ask("mail.mirror.test.", Type.MX);
        assertEquals(2, r.getSection(Section.ADDITIONAL).size(), "A and AAAA of static");
    }

    @Test
    void soaTxtAndCaaAtTheApexAreServed() {
        assertEquals(1, ask("mirror.test.", Type.SOA).getSection(Section.ANSWER).size());
        assertEquals(1, ask("mirror.test.", Type.TXT).getSection(Section.ANSWER).size());
        assertEquals(1, ask("mirror.test.", Type.CAA).getSection(Section.ANSWER).size());
    }

    @Test
    void ownerNamesKeepTheQueryCase() {
        Message r = ask("ApI.MiRrOr.TeSt.", Type.A);
        assertEquals("ApI.MiRrOr.TeSt.", r.getQuestion().getName().toString());
        for (Record record : r.getSection(Section.ANSWER)) {
            assertEquals("ApI.MiRrOr.TeSt.", record.getName().toString());
        }
        Message s = ask("StAtIc.mirror.test.", Type.A);
        assertEquals("StAtIc.mirror.test.", s.getSection(Section.ANSWER).get(0).getName().toString());
    }

    @Test
    void recursionDesiredIsCopiedAndRecursionAvailableIsNot() {
        Message query = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        query.getHeader().setFlag(Flags.RD);
        Message r = responder.respond(query, RESOLVER);
        assertTrue(r.getHeader().getFlag(Flags.RD));
        assertFalse(r.getHeader().getFlag(Flags.RA));
        assertEquals(query.getHeader().getID(), r.getHeader().getID());
    }
}
