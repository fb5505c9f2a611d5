package yunjing.origin.engine;

/** The outcome of one generation: token counts for {@code usage} and why it ended. */
public record GenerationResult(int promptTokens, int completionTokens, FinishReason finishReason) {}
