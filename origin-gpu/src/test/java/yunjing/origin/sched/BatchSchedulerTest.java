package yunjing.origin.sched;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.engine.FinishReason;
import yunjing.origin.engine.GenerationRequest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.sched.SchedulerFixture.config;
import static yunjing.origin.sched.SchedulerFixture.greedy;
import static yunjing.origin.sched.SchedulerFixture.runUntilDone;
import static yunjing.origin.sched.SchedulerFixture.seeded;

/** Continuous batching: one engine step per decode step, chunked prefill, backpressure — and unchanged output. */
class BatchSchedulerTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    @Test
    void batchOfEight_eachSequenceGetsExactlyItsSoloOutput() throws Exception {
        BatchScheduler core = f.core(config(8, 64, 16, 1024, 0));
        List<GenerationRequest> requests = new ArrayList<>();
        String[] users = {"Tell me about the mirror.", "Where is the cache?", "Hello", "What is a token?",
                "Sync the models now please", "Why is the sky blue over the river?", "edge", "Count to ten."};
        for (int i = 0; i < users.length; i++) {
            int[] prompt = f.prompt(users[i]);
            // Different lengths, so sequences finish at different steps and the batch shrinks under way.
            requests.add(i % 3 == 2 ? seeded(prompt, 20 + 3 * i, 40 + i) : greedy(prompt, 20 + 3 * i));
        }
        List<Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Recorder r = new Recorder("r" + i);
            recorders.add(r);
            core.submit(requests.get(i), r, 1);
        }
        runUntilDone(core, 500, recorders.toArray(Recorder[]::new));
        for (int i = 0; i < requests.size(); i++) {
            SchedulerFixture.Solo solo = f.solo(requests.get(i));
            assertEquals(solo.text(), recorders.get(i).text.toString(), "sequence " + i);
            assertEquals(solo.result(), recorders.get(i).result, "sequence " + i);
        }
        assertEquals(8, Collections.max(f.engine.stepSizes), "all eight advanced by one engine call per step");
        assertEquals(0, f.gauge("sequences.running"));
        assertEquals(0, f.gauge("kv.blocks.used"), "every block back in the pool");
    }

    @Test
    void newRequest_joinsTheRunningBatchBetweenSteps() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 16, 1024, 0));
        Recorder a = new Recorder("a");
        core.submit(greedy(f.prompt("first"), 60), a, 1);
        for (int i = 0; i < 5; i++) {
            core.step();
        }
        Recorder b = new Recorder("b");
        core.submit(greedy(f.prompt("second"), 10), b, 1);
        core.step(); // admits and prefills b, while a takes its next token
        core.step();
        assertTrue(b.tokens.get() >= 1, "b started while a runs");
        assertTrue(!a.done(), "a is still running");
        assertEquals(2, f.engine.stepSizes.getLast(), "a and b decode in one engine call");
        runUntilDone(core, 200, a, b);
        assertEquals(f.solo(greedy(f.prompt("second"), 10)).text(), b.text.toString());
    }

    @Test
    void longPrompt_isPrefilledInChunks_whileRunningStreamsKeepDecoding() throws Exception {
        int chunk = 8;
        BatchScheduler core = f.core(config(4, chunk, 4, 1024, 0));
        Recorder running = new Recorder("running");
        core.submit(greedy(f.prompt("short"), 300), running, 1);
        while (running.tokens.get() < 3) {
            core.step();
        }
        int[] longPrompt = f.prompt("A long question: " + "the mirror syncs models to every edge and ".repeat(3));
        assertTrue(longPrompt.length > 4 * chunk, "prompt of " + longPrompt.length + " tokens");
        Recorder late = new Recorder("late");
        core.submit(greedy(longPrompt, 12), late, 1);
        int steps = 0;
        while (late.tokens.get() == 0) {
            int before = running.tokens.get();
            core.step();
            steps++;
            assertEquals(before + 1, running.tokens.get(), "the running stream got a token in prefill step " + steps);
        }
        assertEquals((longPrompt.length + chunk - 1) / chunk, steps, "one chunk of " + chunk + " tokens per step");
        runUntilDone(core, 400, running, late);
        assertEquals(f.solo(greedy(longPrompt, 12)).text(), late.text.toString());
        assertEquals(f.solo(greedy(f.prompt("short"), 300)).text(), running.text.toString());
    }

    @Test
    void slowClient_sitsOutDecodeSteps_andLosesNothing() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 16, 1024, 0));
        Recorder slow = new Recorder("slow");
        Recorder fast = new Recorder("fast");
        core.submit(greedy(f.prompt("slow reader"), 30), slow, 1);
        core.submit(greedy(f.prompt("fast reader"), 30), fast, 1);
        core.step();
        slow.writable = false;
        int held = slow.tokens.get();
        for (int i = 0; i < 10; i++) {
            core.step();
        }
        assertEquals(held, slow.tokens.get(), "no tokens while the client cannot take them");
        assertTrue(fast.tokens.get() > held, "the other stream went on");
        slow.writable = true;
        runUntilDone(core, 200, slow, fast);
        assertEquals(f.solo(greedy(f.prompt("slow reader"), 30)).text(), slow.text.toString());
    }

    @Test
    void priority_higherAdmittedFirst_equalPrioritiesInArrivalOrder() throws Exception {
        BatchScheduler core = f.core(config(1, 64, 16, 1024, 0));
        List<Recorder> order = new CopyOnWriteArrayList<>();
        Recorder free1 = new Recorder("free1", order);
        Recorder free2 = new Recorder("free2", order);
        Recorder pro = new Recorder("pro", order);
        core.submit(greedy(f.prompt("one"), 3), free1, 1);
        core.submit(greedy(f.prompt("two"), 3), free2, 1);
        core.submit(greedy(f.prompt("three"), 3), pro, 10);
        runUntilDone(core, 100, free1, free2, pro);
        assertEquals(List.of(pro, free1, free2), order);
    }

    @Test
    void aging_aLongWaitingFreeRequestOvertakesNewerProOnes() throws Exception {
        BatchScheduler core = f.core(config(1, 64, 16, 1024, 0)); // 1 priority point per second waited
        List<Recorder> order = new CopyOnWriteArrayList<>();
        Recorder blocker = new Recorder("blocker", order);
        core.submit(greedy(f.prompt("busy"), 5), blocker, 100);
        core.step();
        Recorder free = new Recorder("free", order);
        core.submit(greedy(f.prompt("old"), 3), free, 1);
        f.clock.addAndGet(20_000_000_000L); // 20 s later: free ranks 1 + 20 = 21
        Recorder pro = new Recorder("pro", order);
        core.submit(greedy(f.prompt("new"), 3), pro, 10);
        f.clock.addAndGet(5_000_000_000L); // free 26, pro 15
        Recorder pro2 = new Recorder("pro2", order);
        core.submit(greedy(f.prompt("newer"), 3), pro2, 30); // 30 > 26: a much higher plan still goes first
        runUntilDone(core, 100, blocker, free, pro, pro2);
        assertEquals(List.of(blocker, pro2, free, pro), order);
    }

    @Test
    void emptyBatch_stepDoesNothing() {
        BatchScheduler core = f.core(config(2, 64, 16, 1024, 0));
        assertTrue(!core.step());
        assertTrue(core.idle());
        assertEquals(FinishReason.STOP.metricName(), "stop");
    }
}
