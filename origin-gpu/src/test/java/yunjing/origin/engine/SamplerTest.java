package yunjing.origin.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SamplerTest {

    @Test
    void temperatureZero_isArgmaxWithTiesToTheLowestId() {
        Sampler greedy = new Sampler(0, 1, new SplittableRandom(1));
        assertEquals(2, greedy.sample(new float[] {0.1f, 0.5f, 0.9f, 0.9f, -3f}));
    }

    @Test
    void sameSeed_drawsTheSameTokens() {
        float[] logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        Sampler a = new Sampler(1.0, 1.0, new SplittableRandom(99));
        Sampler b = new Sampler(1.0, 1.0, new SplittableRandom(99));
        for (int i = 0; i < 50; i++) {
            assertEquals(a.sample(logits), b.sample(logits));
        }
    }

    @Test
    void temperatureOne_followsTheSoftmax() {
        // softmax([0, ln 3]) = [0.25, 0.75]
        Sampler s = new Sampler(1.0, 1.0, new SplittableRandom(5));
        int ones = 0;
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            ones += s.sample(new float[] {0f, (float) Math.log(3)});
        }
        assertEquals(0.75, ones / (double) draws, 0.015);
    }

    @Test
    void smallTopP_keepsOnlyTheMostLikelyToken() {
        Sampler s = new Sampler(1.5, 0.1, new SplittableRandom(5));
        for (int i = 0; i < 100; i++) {
            assertEquals(1, s.sample(new float[] {1f, 1.2f, 0.9f}));
        }
    }

    @Test
    void topP_cutsTheTailButKeepsTheNucleus() {
        // p = [0.5, 0.3, 0.2]; top_p 0.7 keeps ids 0 and 1 (0.5 < 0.7 ≤ 0.8).
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        Sampler s = new Sampler(1.0, 0.7, new SplittableRandom(8));
        int[] seen = new int[3];
        for (int i = 0; i < 5000; i++) {
            seen[s.sample(logits)]++;
        }
        assertEquals(0, seen[2]);
        assertEquals(0.625, seen[0] / 5000.0, 0.03); // 0.5 / 0.8
    }
}
