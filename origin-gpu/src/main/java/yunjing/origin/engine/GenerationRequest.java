package yunjing.origin.engine;

import java.util.List;
import java.util.OptionalLong;

/**
 * What to generate after a prompt.
 *
 * @param maxTokens   most tokens to generate (≥ 1); the caller has already capped it by the context length
 * @param temperature 0 for greedy decoding, else the softmax temperature
 * @param topP        nucleus size in (0, 1]
 * @param seed        seeds sampling so that a request with a seed is repeatable
 * @param stop        strings that end the output (not included in it)
 * @param ignoreEos   keep generating past end-of-sequence tokens (vLLM's {@code ignore_eos}, for benchmarks)
 */
public record GenerationRequest(int[] promptTokens, int maxTokens, double temperature, double topP,
                                OptionalLong seed, List<String> stop, boolean ignoreEos) {
    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("promptTokens: empty (expected: at least one token)");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: >= 1)");
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature: " + temperature + " (expected: >= 0)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP: " + topP + " (expected: in (0, 1])");
        }
        stop = List.copyOf(stop);
    }
}
