package yunjing.origin.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits. Temperature 0 is greedy argmax (ties to the lowest id), so the same request
 * gives the same text. Otherwise: softmax of logits / temperature, cut to the nucleus (the most likely tokens
 * whose probabilities sum to at least {@code top_p}, Holtzman et al. 2019), one draw from a random seeded by the
 * request's {@code seed} when it has one.
 *
 * <p>Confined to the thread generating its sequence.
 */
public final class Sampler {

    private final double temperature;
    private final double topP;
    private final SplittableRandom random;

    Sampler(double temperature, double topP, SplittableRandom random) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = random;
    }

    int sample(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        // Most likely first, ties by id, so the nucleus does not depend on sort stability.
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int nucleus = 0;
        double mass = 0;
        while (nucleus < n && (nucleus == 0 || mass < topP)) {
            mass += p[order[nucleus++]];
        }
        double r = random.nextDouble() * mass;
        for (int i = 0; i < nucleus; i++) {
            r -= p[order[i]];
            if (r < 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }

    /** The greedy choice: the index of the largest logit, the lowest on ties (what the engine tests hold backends to). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
