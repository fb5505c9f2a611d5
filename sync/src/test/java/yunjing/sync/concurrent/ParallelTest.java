package yunjing.sync.concurrent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException();
        }
    }

    @Test
    void results_comeInTaskOrder_onOneThreadOrSeveral() throws IOException {
        List<Parallel.Task<Integer>> tasks = IntStream.range(0, 20).<Parallel.Task<Integer>>mapToObj(i -> () -> {
            pause(20 - i);
            return i;
        }).toList();
        List<Integer> expected = IntStream.range(0, 20).boxed().toList();
        assertEquals(expected, Parallel.map(tasks, 1, "t"));
        assertEquals(expected, Parallel.map(tasks, 4, "t"));
    }

    @Test
    void theFirstFailure_isThrownAsItWas_andNoTaskStartsAfterIt() {
        IllegalArgumentException bad = new IllegalArgumentException("bad path");
        AtomicInteger started = new AtomicInteger();
        List<Parallel.Task<Void>> tasks = IntStream.range(0, 50).<Parallel.Task<Void>>mapToObj(i -> () -> {
            started.incrementAndGet();
            if (i == 0) {
                throw bad;
            }
            pause(10);
            return null;
        }).toList();

        for (int threads : new int[] {1, 2}) {
            started.set(0);
            assertSame(bad, assertThrows(IllegalArgumentException.class, () -> Parallel.map(tasks, threads, "t")),
                    "the same exception on " + threads + " thread(s)");
            assertTrue(started.get() < 50, started.get() + " of 50 tasks started after the first failed");
        }
        IOException io = new IOException("disk full");
        assertSame(io, assertThrows(IOException.class, () -> Parallel.map(List.<Parallel.Task<Void>>of(() -> {
            throw io;
        }, () -> null), 2, "t")));
    }
}
