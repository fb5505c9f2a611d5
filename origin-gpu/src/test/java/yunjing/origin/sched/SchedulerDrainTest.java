package yunjing.origin.sched;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.sched.SchedulerFixture.greedy;

/** {@link Scheduler#isDrainedAndEmpty}: what a hot swap waits for before closing the old scheduler. */
class SchedulerDrainTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    @Test
    void drainedAndEmpty_onlyOnceDrainedAndEveryRequestEnded() throws Exception {
        try (Scheduler scheduler = Scheduler.start(SchedulerFixture.MODEL, f.generator(), SchedulerConfig.DEFAULTS,
                f.registry)) {
            Recorder first = new Recorder("one");
            Recorder second = new Recorder("two");
            scheduler.submit(greedy(f.prompt("one"), 200), first, 1);
            scheduler.submit(greedy(f.prompt("two"), 200), second, 1);
            assertFalse(scheduler.isDrainedAndEmpty(), "still accepting");

            scheduler.drain();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean drained = false;
            while (!drained && System.nanoTime() < deadline) {
                drained = scheduler.isDrainedAndEmpty();
                if (!drained) {
                    Thread.sleep(1);
                }
            }
            assertTrue(scheduler.isDrainedAndEmpty());
            // Both ran to the end rather than being cut off: drained means finished, not cancelled.
            assertTrue(first.done() && second.done());
            assertNull(first.failure);
            assertEquals(200, first.result.completionTokens());
            assertEquals(200, second.result.completionTokens());
        }
    }
}
