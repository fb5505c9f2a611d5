package yunjing.sync.agent;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CopyHandoffTest {

    private static ByteBuffer filled(ByteBuffer buffer, int length) {
        for (int i = 0; i < length; i++) {
            buffer.put(i, (byte) i);
        }
        return buffer.slice(0, length);
    }

    @Test
    void publishedBytes_areTakenInPieces_andTheBufferReturnsOnceTakenWhole() throws Exception {
        ByteBuffer only = ByteBuffer.allocate(100);
        CopyHandoff handoff = new CopyHandoff(List.of(only));
        ByteBuffer buffer = handoff.acquire();
        handoff.publish(buffer, filled(buffer, 100), 1000);

        CopyHandoff.Segment head = handoff.head();
        assertEquals(1000, head.offset());
        assertEquals(40, head.take(40).remaining());
        assertEquals(1040, head.offset());
        ByteBuffer rest = head.take(1000);
        assertEquals(60, rest.remaining());
        assertEquals(40, rest.get(0));
        assertTrue(head.isEmpty());
        handoff.release(head);
        assertNull(handoff.head());
        assertSame(only, handoff.acquire());
    }

    @Test
    void acquire_waitsForARelease_andAbandonWakesItEmptyHanded() throws Exception {
        CopyHandoff handoff = new CopyHandoff(List.of(ByteBuffer.allocate(10)));
        ByteBuffer buffer = handoff.acquire();
        handoff.publish(buffer, filled(buffer, 10), 0);
        CompletableFuture<ByteBuffer> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return handoff.acquire();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertFalse(waiting.isDone(), "no free buffer until the hasher releases one");
        handoff.abandon();
        assertNull(waiting.get(5, TimeUnit.SECONDS), "abandoned: no buffer, the copier stops");
    }

    @Test
    void outOfOrderPublishOrRelease_isABug() throws Exception {
        CopyHandoff handoff = new CopyHandoff(List.of(ByteBuffer.allocate(10), ByteBuffer.allocate(10)));
        ByteBuffer a = handoff.acquire();
        ByteBuffer b = handoff.acquire();
        handoff.publish(a, filled(a, 10), 100);
        assertThrows(IllegalStateException.class, () -> handoff.publish(b, filled(b, 10), 105));
        handoff.publish(b, filled(b, 10), 110);
        CopyHandoff.Segment first = handoff.head();
        first.take(10);
        handoff.release(first);
        CopyHandoff.Segment second = handoff.head();
        assertEquals(110, second.offset());
    }

    @Test
    void unhashed_freesEachBufferAsSoonAsItIsPublished() throws Exception {
        ByteBuffer only = ByteBuffer.allocate(10);
        CopyHandoff handoff = CopyHandoff.unhashed(only);
        for (int i = 0; i < 3; i++) {
            ByteBuffer buffer = handoff.acquire();
            assertSame(only, buffer);
            handoff.publish(buffer, filled(buffer, 10), i * 10L);
            assertNull(handoff.head());
        }
    }
}
