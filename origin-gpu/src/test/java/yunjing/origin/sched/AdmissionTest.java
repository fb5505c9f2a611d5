package yunjing.origin.sched;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.engine.FinishReason;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.sched.SchedulerFixture.greedy;
import static yunjing.origin.sched.SchedulerFixture.runUntilDone;

/** Admission control: the queue budget (429), the hard cap and draining (503), deadlines, oversized requests. */
class AdmissionTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    private static SchedulerConfig config(int maxBatch, int maxWaiting, Duration budget, Duration deadline) {
        return new SchedulerConfig(maxBatch, 64, 16, 1024, 0, maxWaiting, budget, deadline, 1.0);
    }

    private double rejections(String reason) {
        return f.counter("rejections", "reason", reason);
    }

    @Test
    void estimatedWaitOverBudget_isRefusedWithRetryAfter() throws Exception {
        BatchScheduler core = f.core(config(1, 64, Duration.ofMillis(1), Duration.ofHours(1)));
        Recorder running = new Recorder("running");
        core.submit(greedy(f.prompt("a long answer"), 400), running, 1);
        for (int i = 0; i < 5; i++) {
            core.step(); // measures the step rate
        }
        assertTrue(core.rate.tokensPerSecond() > 0);
        // The batch is full and the running sequence has ~395 steps left: far more than 1 ms.
        assertTrue(core.estimatedWaitSeconds(1, f.clock.get()) > 0.001);
        RejectedException e = assertThrows(RejectedException.class,
                () -> core.submit(greedy(f.prompt("me too"), 10), new Recorder("late"), 1));
        assertEquals(RejectedException.Reason.QUEUE_BUDGET, e.reason());
        assertTrue(e.retryAfterSeconds() >= 1);
        assertTrue(e.getMessage().contains("budget"), e.getMessage());
        assertEquals(1, rejections("queue_budget"));
        assertEquals(0, f.gauge("sequences.waiting"));
        running.cancel();
        runUntilDone(core, 5, running);
    }

    @Test
    void queuedWorkAhead_countsOnlyWhatWouldBeServedFirst() throws Exception {
        BatchScheduler core = f.core(config(1, 64, Duration.ofHours(1), Duration.ofHours(1)));
        Recorder running = new Recorder("running");
        core.submit(greedy(f.prompt("x"), 300), running, 1);
        for (int i = 0; i < 3; i++) {
            core.step();
        }
        core.submit(greedy(f.prompt("queued free request"), 200), new Recorder("free"), 1);
        double forFree = core.estimatedWaitSeconds(1, f.clock.get());
        double forPro = core.estimatedWaitSeconds(10, f.clock.get());
        assertTrue(forPro < forFree, "a pro request does not wait behind free ones: " + forPro + " < " + forFree);
        core.abort();
    }

    @Test
    void hardCap_isRefusedWith503Reason() throws Exception {
        BatchScheduler core = f.core(config(1, 2, Duration.ofHours(1), Duration.ofHours(1)));
        core.submit(greedy(f.prompt("one"), 5), new Recorder("one"), 1);
        core.submit(greedy(f.prompt("two"), 5), new Recorder("two"), 1);
        RejectedException e = assertThrows(RejectedException.class,
                () -> core.submit(greedy(f.prompt("three"), 5), new Recorder("three"), 1));
        assertEquals(RejectedException.Reason.QUEUE_FULL, e.reason());
        assertTrue(e.retryAfterSeconds() >= 1);
        assertEquals(1, rejections("queue_full"));
        core.abort();
    }

    @Test
    void draining_refusesNew_butFinishesQueuedAndRunning() throws Exception {
        BatchScheduler core = f.core(config(1, 8, Duration.ofHours(1), Duration.ofHours(1)));
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        core.submit(greedy(f.prompt("a"), 5), a, 1);
        core.submit(greedy(f.prompt("b"), 5), b, 1);
        core.drain();
        RejectedException e = assertThrows(RejectedException.class,
                () -> core.submit(greedy(f.prompt("c"), 5), new Recorder("c"), 1));
        assertEquals(RejectedException.Reason.NOT_ACCEPTING, e.reason());
        runUntilDone(core, 50, a, b);
        assertEquals(FinishReason.LENGTH, b.result.finishReason());
    }

    @Test
    void deadline_refusesTheQueued_andCutsTheRunningShort() throws Exception {
        BatchScheduler core = f.core(config(1, 8, Duration.ofHours(1), Duration.ofSeconds(10)));
        Recorder running = new Recorder("running");
        Recorder queued = new Recorder("queued");
        core.submit(greedy(f.prompt("running"), 300), running, 1);
        core.submit(greedy(f.prompt("queued"), 5), queued, 1);
        for (int i = 0; i < 3; i++) {
            core.step();
        }
        f.clock.addAndGet(Duration.ofSeconds(11).toNanos());
        core.step();
        assertEquals(FinishReason.DEADLINE, running.result.finishReason());
        assertEquals("length", running.result.finishReason().openAiName());
        RejectedException e = assertInstanceOf(RejectedException.class, queued.failure);
        assertEquals(RejectedException.Reason.DEADLINE, e.reason());
        assertEquals(0, f.gauge("kv.blocks.used"));
    }

    @Test
    void requestLargerThanThePool_isRefusedOutright() {
        BatchScheduler core = f.core(new SchedulerConfig(4, 64, 16, 2, 0, 8, Duration.ofHours(1),
                Duration.ofHours(1), 1.0));
        RejectedException e = assertThrows(RejectedException.class,
                () -> core.submit(greedy(f.prompt("hi"), 100), new Recorder("big"), 1));
        assertEquals(RejectedException.Reason.TOO_LARGE, e.reason());
    }

    @Test
    void config_refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new SchedulerConfig(0, 64, 16, 1024, 0, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0));
        assertThrows(IllegalArgumentException.class, () -> new SchedulerConfig(1, 64, 16, 1024, 2000, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0));
        assertThrows(IllegalArgumentException.class, () -> new SchedulerConfig(1, 64, 16, 1024, 0, 8,
                Duration.ofSeconds(1), Duration.ZERO, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new SchedulerConfig(1, 64, 16, 1024, 0, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Double.NaN));
    }
}
