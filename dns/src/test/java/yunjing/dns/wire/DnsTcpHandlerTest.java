package yunjing.dns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.testing.TestZone.name;

/** The TCP pipeline in memory: framing, pipelining, idle close, buffer ownership. */
class DnsTcpHandlerTest {

    @TempDir
    Path dir;

    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        WireFixture fixture = new WireFixture(dir);
        channel = new EmbeddedChannel(new DnsTcpInitializer(fixture.processor, Duration.ofSeconds(10),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
    }

    private static void frame(ByteBuf into, byte[] message) {
        into.writeShort(message.length);
        into.writeBytes(message);
    }

    /** Reads every outbound buffer, releasing each, and splits the stream into DNS messages. */
    private List<Message> drainResponses() throws Exception {
        ByteBuf stream = Unpooled.buffer();
        try {
            ByteBuf chunk;
            while ((chunk = channel.readOutbound()) != null) {
                stream.writeBytes(chunk);
                assertTrue(chunk.release(), "we owned the outbound buffer and freed it");
            }
            List<Message> messages = new ArrayList<>();
            while (stream.isReadable()) {
                byte[] message = new byte[stream.readUnsignedShort()];
                stream.readBytes(message);
                messages.add(new Message(message));
            }
            return messages;
        } finally {
            stream.release();
        }
    }

    @Test
    void pipelinedQueriesInOneSegmentGetResponsesInOrder() throws Exception {
        Message first = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN));
        Message second = Message.newQuery(Record.newRecord(name("mirror.test."), Type.SOA, DClass.IN));
        ByteBuf in = Unpooled.buffer();
        frame(in, first.toWire());
        frame(in, second.toWire());
        channel.writeInbound(in);
        assertEquals(0, in.refCnt(), "the decoder released the inbound segment");
        List<Message> responses = drainResponses();
        assertEquals(2, responses.size());
        assertEquals(first.getHeader().getID(), responses.get(0).getHeader().getID());
        assertEquals(second.getHeader().getID(), responses.get(1).getHeader().getID());
        assertEquals(Type.SOA, responses.get(1).getSection(Section.ANSWER).get(0).getType());
        assertTrue(channel.isOpen());
        assertFalse(channel.finish());
    }

    @Test
    void queryArrivingInPiecesIsAnsweredOnceComplete() throws Exception {
        byte[] wire = Message.newQuery(Record.newRecord(name("api.mirror.test."), Type.A, DClass.IN)).toWire();
        ByteBuf whole = Unpooled.buffer();
        frame(whole, wire);
        ByteBuf head = whole.readRetainedSlice(5);
        channel.writeInbound(head);
        assertTrue(drainResponses().isEmpty());
        channel.writeInbound(whole);
        assertEquals(1, drainResponses().size());
        channel.finishAndReleaseAll();
    }

    @Test
    void idleConnectionIsClosed() {
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertFalse(channel.isOpen());
    }

    @Test
    void frameTooShortForAHeaderClosesTheConnection() {
        ByteBuf in = Unpooled.buffer();
        frame(in, new byte[] {1, 2, 3});
        channel.writeInbound(in);
        assertFalse(channel.isOpen());
        assertEquals(0, in.refCnt());
        channel.finishAndReleaseAll();
    }
}
