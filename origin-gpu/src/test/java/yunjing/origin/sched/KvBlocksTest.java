package yunjing.origin.sched;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.origin.engine.FinishReason;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.tokenizer.ChatMessage;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.origin.sched.SchedulerFixture.config;
import static yunjing.origin.sched.SchedulerFixture.greedy;
import static yunjing.origin.sched.SchedulerFixture.runUntilDone;

/** KV cache blocks: held while running, freed on cancellation, reused across prompts, reclaimed by preemption. */
class KvBlocksTest {

    @RegisterExtension
    static final SchedulerFixture f = new SchedulerFixture();

    @Test
    void cancelledStream_leavesAtTheNextStep_andFreesItsBlocks() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 4, 256, 0));
        Recorder stream = new Recorder("stream");
        core.submit(greedy(f.prompt("go on for a while"), 500), stream, 1);
        while (stream.tokens.get() < 10) {
            core.step();
        }
        int length = f.prompt("go on for a while").length + 9;
        assertEquals((length + 3) / 4, f.gauge("kv.blocks.used"), "ceil(positions / block size) blocks held");
        assertEquals(256, f.gauge("kv.blocks.total"));
        assertEquals(1, f.gauge("sequences.running"));

        stream.cancel();
        core.step();
        assertEquals(FinishReason.CANCELLED, stream.result.finishReason());
        assertEquals(10, stream.result.completionTokens());
        assertEquals(0, f.gauge("kv.blocks.used"), "the cancelled sequence's blocks are free");
        assertEquals(0, f.gauge("sequences.running"));
    }

    @Test
    void cancelledWhileQueued_neverRuns() throws Exception {
        BatchScheduler core = f.core(config(1, 64, 4, 256, 0));
        Recorder first = new Recorder("first");
        Recorder queued = new Recorder("queued");
        core.submit(greedy(f.prompt("first"), 50), first, 1);
        core.submit(greedy(f.prompt("queued"), 50), queued, 1);
        core.step();
        assertEquals(1, f.gauge("sequences.waiting"));
        queued.cancel();
        core.step();
        assertEquals(FinishReason.CANCELLED, queued.result.finishReason());
        assertEquals(0, queued.tokens.get());
        assertEquals(0, f.gauge("sequences.waiting"));
        first.cancel();
        runUntilDone(core, 5, first);
    }

    @Test
    void admission_waitsForFreeBlocks() throws Exception {
        // 12 blocks of 4: one 30-token sequence (8 blocks, growing) leaves too little for a second prompt.
        BatchScheduler core = f.core(config(4, 64, 4, 12, 0));
        int[] prompt = f.prompt("a prompt that is long enough");
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        core.submit(greedy(prompt, 10), a, 1);
        core.submit(greedy(prompt, 10), b, 1);
        core.step();
        assertEquals(1, f.gauge("sequences.running"));
        assertEquals(1, f.gauge("sequences.waiting"), "b waits for blocks, not for a batch slot");
        runUntilDone(core, 100, a, b);
        assertEquals(a.text.toString(), b.text.toString());
        assertEquals(0, f.gauge("kv.blocks.used"));
    }

    @Test
    void prefixReuse_secondTurnSkipsTheSharedPrefill_andGivesTheColdOutput() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 4, 1024, 256));
        List<ChatMessage> turn1 = List.of(new ChatMessage("system", "You are the mirror's helpful agent."),
                new ChatMessage("user", "List the edges."));
        Recorder first = new Recorder("first");
        core.submit(greedy(f.prompt(turn1), 12), first, 1);
        runUntilDone(core, 100, first);
        int[] firstPrompt = f.prompt(turn1);
        assertEquals(0, f.counter("prefix.cache.hits"));
        assertEquals(firstPrompt.length, f.counter("prompt.tokens.prefilled"));
        assertTrue(f.gauge("prefix.cache.blocks") > 0, "the finished sequence's full blocks are kept");

        int[] secondPrompt = f.prompt(List.of(turn1.get(0), turn1.get(1),
                new ChatMessage("assistant", first.text.toString()), new ChatMessage("user", "And the regions?")));
        GenerationRequest second = greedy(secondPrompt, 12);
        Recorder warm = new Recorder("warm");
        core.submit(second, warm, 1);
        runUntilDone(core, 100, warm);

        double hits = f.counter("prefix.cache.hits");
        assertTrue(hits >= firstPrompt.length / 4 * 4, "at least the first prompt's full blocks: " + hits);
        assertEquals(0, hits % 4, "whole blocks");
        assertEquals(firstPrompt.length + secondPrompt.length - hits, f.counter("prompt.tokens.prefilled"),
                "the hit tokens were not prefilled");
        assertEquals(firstPrompt.length + secondPrompt.length, f.counter("prefix.cache.queries"));
        assertTrue(f.gauge("prefix.cache.hit.rate") > 0);
        assertEquals(f.solo(second).text(), warm.text.toString(), "same output as a cold run");
        assertEquals(f.solo(second).result(), warm.result);
    }

    @Test
    void prefixCache_givesItsBlocksBackWhenRunningSequencesNeedThem() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 4, 28, 28));
        Recorder warmUp = new Recorder("warmUp");
        core.submit(greedy(f.prompt("fill the cache with this conversation"), 20), warmUp, 1);
        runUntilDone(core, 100, warmUp);
        double cached = f.gauge("prefix.cache.blocks");
        assertTrue(cached > 0);
        assertEquals(cached, f.gauge("kv.blocks.used"), "cached blocks count as used");
        Recorder big = new Recorder("big");
        GenerationRequest request = greedy(f.prompt("something else entirely, which is longer"), 50);
        core.submit(request, big, 1);
        double leastCached = cached;
        for (int i = 0; i < 200 && !big.done(); i++) {
            core.step();
            leastCached = Math.min(leastCached, f.gauge("prefix.cache.blocks"));
            assertTrue(f.gauge("kv.blocks.used") <= 28);
        }
        assertEquals(f.solo(request).text(), big.text.toString());
        assertTrue(leastCached < cached, "cached blocks were evicted for the running sequence");
    }

    @Test
    void aCachedPrefixThatFillsThePool_isEvictedRatherThanBlockingTheRequestThatWouldReuseIt() throws Exception {
        BatchScheduler core = f.core(config(4, 64, 4, 20, 20));
        int[] prompt = f.prompt("the same prompt twice");
        Recorder first = new Recorder("first");
        core.submit(greedy(prompt, 40), first, 1);
        runUntilDone(core, 200, first);
        int needed = (prompt.length + 3) / 4;
        assertTrue(f.gauge("prefix.cache.blocks") > 20 - needed, "the cache leaves too little room beside it");
        Recorder second = new Recorder("second");
        GenerationRequest again = greedy(prompt, 8);
        core.submit(again, second, 1);
        runUntilDone(core, 200, second);
        assertEquals(f.solo(again).text(), second.text.toString());
    }

    @Test
    void preemption_sendsTheNewestBack_andItsOutputIsUnchanged() throws Exception {
        // 20 blocks of 4 = 80 positions; two sequences growing to ~60 each cannot both fit.
        BatchScheduler core = f.core(config(4, 64, 4, 20, 0));
        GenerationRequest ra = greedy(f.prompt("first one"), 40);
        GenerationRequest rb = greedy(f.prompt("second one"), 40);
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        core.submit(ra, a, 1);
        core.submit(rb, b, 1);
        runUntilDone(core, 400, a, b);
        assertTrue(f.counter("preemptions") >= 1, "b was preempted");
        assertEquals(f.solo(ra).text(), a.text.toString());
        assertEquals(f.solo(rb).text(), b.text.toString(), "b carried on from its pending token");
        assertEquals(f.solo(rb).result(), b.result);
        assertNull(b.failure);
        assertEquals(0, f.gauge("kv.blocks.used"));
    }
}
