package yunjing.proxy.llm;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseEventsTest {

    private static List<String> feed(SseEvents events, String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            List<String> out = events.feed(buf);
            assertEquals(0, buf.readerIndex(), "the piece is not consumed");
            return out;
        } finally {
            buf.release();
        }
    }

    @Test
    void eventsSplitAcrossPieces_comeOutWholeAndInOrder() {
        SseEvents events = new SseEvents();
        List<String> out = new ArrayList<>();
        out.addAll(feed(events, "data: {\"a\""));
        out.addAll(feed(events, ":1}\n"));
        assertEquals(0, out.size());
        out.addAll(feed(events, "\ndata: [DO"));
        out.addAll(feed(events, "NE]\n\n"));
        assertEquals(List.of("data: {\"a\":1}\n\n", "data: [DONE]\n\n"), out);
        assertEquals(0, events.pendingBytes());
    }

    @Test
    void crlfBlankLine_endsAnEvent_andMultiByteCharactersSplitAcrossPiecesSurvive() {
        SseEvents events = new SseEvents();
        byte[] snow = "data: 雪\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        ByteBuf a = Unpooled.wrappedBuffer(snow, 0, 7);   // cuts the three-byte character
        ByteBuf b = Unpooled.wrappedBuffer(snow, 7, snow.length - 7);
        assertEquals(List.of(), events.feed(a));
        assertEquals(List.of("data: 雪\r\n\r\n"), events.feed(b));
        a.release();
        b.release();
    }

    @Test
    void data_joinsDataLines_andIgnoresOtherFields() {
        assertEquals("x\ny", SseEvents.data("event: m\ndata: x\ndata:y\nid: 3\n\n"));
        assertNull(SseEvents.data(": comment\n\n"));
    }

    @Test
    void anOverlongEvent_stopsTheScan_andKeepsItsBytesForDrain() {
        SseEvents events = new SseEvents();
        String big = "data: " + "x".repeat(SseEvents.MAX_EVENT_BYTES);
        assertEquals(List.of(), feed(events, big));
        assertTrue(events.overflowed());
        assertEquals(big, events.drain());
        assertEquals(List.of(), feed(events, "\n\ndata: 1\n\n"), "nothing more after giving up");
    }
}
