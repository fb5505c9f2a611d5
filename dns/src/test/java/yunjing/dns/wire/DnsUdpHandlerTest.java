package yunjing.dns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/** The UDP handler in memory: one datagram in, one back to the sender, buffers released. */
class DnsUdpHandlerTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 53);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    @TempDir
    Path dir;

    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        WireFixture fixture = new WireFixture(dir);
        channel = new EmbeddedChannel(new DnsUdpHandler(fixture.processor, fixture.metrics));
    }

    @Test
    void answerGoesBackToTheSender() throws Exception {
        Message query = Message.newQuery(Record.newRecord(name("nope.mirror.test."), Type.A, DClass.IN));
        ByteBuf content = Unpooled.buffer().writeBytes(query.toWire());
        channel.writeInbound(new DatagramPacket(content, SERVER, CLIENT));
        assertEquals(0, content.refCnt(), "inbound datagram released");
        DatagramPacket out = channel.readOutbound();
        try {
            assertEquals(CLIENT, out.recipient());
            Message response = new Message(ByteBufUtil.getBytes(out.content()));
            assertEquals(query.getHeader().getID(), response.getHeader().getID());
            assertEquals(Rcode.NXDOMAIN, response.getRcode());
        } finally {
            assertTrue(out.release());
        }
        assertFalse(channel.finish());
    }

    @Test
    void shortDatagramGetsNoAnswer() {
        ByteBuf content = Unpooled.buffer().writeBytes(new byte[] {0, 1, 2});
        channel.writeInbound(new DatagramPacket(content, SERVER, CLIENT));
        assertEquals(0, content.refCnt());
        assertNull(channel.readOutbound());
        assertTrue(channel.isOpen(), "one bad client does not close the shared socket");
    }
}
