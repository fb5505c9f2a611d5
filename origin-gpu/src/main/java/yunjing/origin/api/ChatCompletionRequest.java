package yunjing.origin.api;

import yunjing.origin.tokenizer.ChatMessage;

import java.util.List;
import java.util.OptionalLong;

/**
 * A validated {@code POST /v1/chat/completions} body, reduced to what the origin uses.
 *
 * @param maxTokens    {@code max_completion_tokens} or {@code max_tokens}; null when absent
 * @param includeUsage {@code stream_options.include_usage}
 */
record ChatCompletionRequest(String model, List<ChatMessage> messages, boolean stream, boolean includeUsage,
                             Integer maxTokens, double temperature, double topP, OptionalLong seed,
                             List<String> stop, boolean ignoreEos, int imageParts) {}
