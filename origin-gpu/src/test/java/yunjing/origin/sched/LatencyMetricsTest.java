package yunjing.origin.sched;

import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.sched.SchedulerFixture.config;
import static yunjing.origin.sched.SchedulerFixture.greedy;
import static yunjing.origin.sched.SchedulerFixture.runUntilDone;

/** The scheduler's vLLM-style latency and throughput meters: queue time, inter-token latency, tokens per second. */
class LatencyMetricsTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    @Test
    void queueTime_isSubmissionToAdmissionOnTheSchedulerClock() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 16, 1024, 0));
        core.submit(greedy(f.prompt("wait for me"), 2), new Recorder("a"), 1);
        f.clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(250));
        core.step();
        Timer queue = f.registry.get(SchedulerMetrics.PREFIX + "queue.time").timer();
        assertEquals(1, queue.count());
        assertEquals(250, queue.totalTime(TimeUnit.MILLISECONDS), 1e-9);
    }

    @Test
    void interTokenLatency_oneSamplePerTokenAfterTheFirst_spanningTheSteps() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 16, 1024, 0));
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        core.submit(greedy(f.prompt("first"), 9), a, 1);
        core.submit(greedy(f.prompt("and a second one"), 5), b, 1);
        long t0 = System.nanoTime();
        runUntilDone(core, 100, a, b);
        long elapsed = System.nanoTime() - t0;
        Timer itl = f.registry.get(SchedulerMetrics.PREFIX + "inter.token.latency").timer();
        int tokens = a.result.completionTokens() + b.result.completionTokens();
        assertEquals(tokens - 2, itl.count(), "every token but each sequence's first");
        assertTrue(itl.totalTime(TimeUnit.NANOSECONDS) > 0);
        assertTrue(itl.max(TimeUnit.NANOSECONDS) <= elapsed, "a gap lies within the run");
    }

    @Test
    void tokensPerSecond_isZeroBeforeAnyStep_thenTheStepsTokensOverItsTime() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 16, 1024, 0));
        assertEquals(0, f.gauge("tokens.per.second"), "nothing measured yet");
        int[] prompt = f.prompt("a prompt of a few tokens to prefill in one step");
        assertTrue(prompt.length <= 64, "one prefill chunk: " + prompt.length);
        core.submit(greedy(prompt, 1), new Recorder("a"), 1);
        long t0 = System.nanoTime();
        core.step(); // prefills the whole prompt in one chunk (64 tokens)
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = f.gauge("tokens.per.second");
        // The scheduler times the step from inside, so its rate is at least the tokens over the outside time.
        assertTrue(rate >= prompt.length / seconds, rate + " tokens/s vs " + prompt.length + " tokens in " + seconds + " s");
        assertTrue(Double.isFinite(rate));
    }
}
