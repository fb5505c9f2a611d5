package yunjing.origin.engine;

/** Why generation ended. */
public enum FinishReason {
    /** End-of-sequence token or stop string (OpenAI {@code "stop"}). */
    STOP("stop"),
    /** {@code max_tokens} or the context length reached (OpenAI {@code "length"}). */
    LENGTH("length"),
    /** The listener cancelled: the client disconnected or the server is closing. */
    CANCELLED("cancelled"),
    /** The request's deadline passed while it was generating: the output is cut short (OpenAI {@code "length"}). */
    DEADLINE("length");

    private final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }

    /** The {@code finish_reason} value in OpenAI responses. */
    public String openAiName() {
        return openAiName;
    }

    /** The {@code finish_reason} tag of the completions metric: {@code stop}, {@code length}, {@code cancelled},
     * {@code deadline}. */
    public String metricName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
