package yunjing.origin.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.tokenizer.ChatMessage;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class GeneratorTest {

    @TempDir
    static Path dir;
    static Checkpoint model;
    static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        TestModelGenerator.generate(dir, 5);
        model = Checkpoint.load(dir);
        prompt = model.chatFormat().encode(List.of(new ChatMessage("user", "Tell me about the mirror.")));
    }

    /** Collects text and stops answering after {@code cancelAfter} tokens. */
    static final class Collector implements TokenListener {
        final StringBuilder text = new StringBuilder();
        final int cancelAfter;
        int tokens;

        Collector(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onToken(String delta) {
            tokens++;
            text.append(delta);
        }

        @Override
        public boolean cancelled() {
            return tokens >= cancelAfter;
        }
    }

    private static Generator generator(int... eos) {
        return new Generator(new JavaReferenceEngine(model.config(), model.weights()), model.tokenizer(), eos);
    }

    private static GenerationRequest request(int maxTokens, double temperature, OptionalLong seed, List<String> stop) {
        return new GenerationRequest(prompt, maxTokens, temperature, 1.0, seed, stop, false);
    }

    @Test
    void greedy_sameRequestTwice_sameText() {
        Collector a = new Collector(Integer.MAX_VALUE);
        Collector b = new Collector(Integer.MAX_VALUE);
        generator(model.eosTokenIds()).generate(request(40, 0, OptionalLong.empty(), List.of()), a);
        generator(model.eosTokenIds()).generate(request(40, 0, OptionalLong.empty(), List.of()), b);
        assertFalse(a.text.isEmpty());
        assertEquals(a.text.toString(), b.text.toString());
    }

    @Test
    void seededSampling_isRepeatable_andSeedsDiffer() {
        String[] texts = new String[3];
        long[] seeds = {7, 7, 8};
        for (int i = 0; i < 3; i++) {
            Collector c = new Collector(Integer.MAX_VALUE);
            GenerationRequest r = new GenerationRequest(prompt, 40, 1.0, 1.0, OptionalLong.of(seeds[i]), List.of(), true);
            generator(model.eosTokenIds()).generate(r, c);
            texts[i] = c.text.toString();
        }
        assertEquals(texts[0], texts[1]);
        assertNotEquals(texts[0], texts[2]);
    }

    @Test
    void maxTokens_endsWithLength() {
        Collector c = new Collector(Integer.MAX_VALUE);
        GenerationResult r = generator().generate(request(17, 0, OptionalLong.empty(), List.of()), c);
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(17, r.completionTokens());
        assertEquals(17, c.tokens);
        assertEquals(prompt.length, r.promptTokens());
    }

    @Test
    void eosToken_endsWithStopAndIsNotText() {
        // Declare whatever greedy decoding picks first to be end-of-sequence.
        JavaReferenceEngine engine = new JavaReferenceEngine(model.config(), model.weights());
        int firstToken = Sampler.argmax(engine.newSequence(prompt.length).prefill(prompt));
        Collector c = new Collector(Integer.MAX_VALUE);
        GenerationResult r = generator(firstToken).generate(request(50, 0, OptionalLong.empty(), List.of()), c);
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(1, r.completionTokens());
        assertEquals("", c.text.toString());
    }

    @Test
    void stopString_endsOutputBeforeIt() {
        Collector whole = new Collector(Integer.MAX_VALUE);
        generator().generate(request(60, 0, OptionalLong.empty(), List.of()), whole);
        String text = whole.text.toString();
        String stop = text.substring(10, 13);
        Collector c = new Collector(Integer.MAX_VALUE);
        GenerationResult r = generator().generate(request(60, 0, OptionalLong.empty(), List.of(stop)), c);
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), c.text.toString());
    }

    @Test
    void cancellation_isCheckedBetweenTokens() {
        Collector c = new Collector(5);
        GenerationResult r = generator().generate(request(500, 0, OptionalLong.empty(), List.of()), c);
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(5, r.completionTokens());
    }
}
