package yunjing.dns.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import yunjing.dns.testing.PacketFuzzer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The message envelope on malformed input, in memory: every answer to a mutated or random packet
 * is a well-formed response with the query's id and size limit, and no exception happens at all
 * (not even one the processor catches: {@code yunjing.dns.errors} stays 0).
 */
class QueryProcessorFuzzTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.53", 40000);
    private static final int PACKETS = Integer.getInteger("yunjing.fuzz.packets", 20_000);
    private static final long SEED = Long.getLong("yunjing.fuzz.seed", 5);

    @TempDir
    Path dir;

    @Test
    void everyAnswerToAMalformedPacketIsAWellFormedResponse() throws IOException {
        WireFixture fixture = new WireFixture(dir);
        PacketFuzzer fuzzer = new PacketFuzzer(SEED);
        int answered = 0;
        for (int i = 0; i < PACKETS; i++) {
            byte[] in = fuzzer.next();
            Transport transport = i % 4 == 0 ? Transport.TCP : Transport.UDP;
            byte[] out = fixture.processor.process(in, transport, CLIENT);
            if (out == null) {
                continue;
            }
            answered++;
            Message r = new Message(out); // throws if we wrote garbage
            assertTrue(r.getHeader().getFlag(Flags.QR), "packet " + i + " (seed " + SEED + ")");
            assertEquals(((in[0] & 0xFF) << 8) | (in[1] & 0xFF), r.getHeader().getID(), "id, packet " + i);
            if (transport == Transport.UDP) {
                assertTrue(out.length <= QueryProcessor.UDP_PAYLOAD, "UDP size " + out.length + ", packet " + i);
            }
        }
        assertTrue(answered > PACKETS / 4, "most malformed queries still get FORMERR etc.: " + answered);
        assertEquals(0.0, fixture.registry.counter("yunjing.dns.errors").count(), "seed " + SEED);
    }
}
