package yunjing.origin.tokenizer;

import java.util.Objects;

/** One turn of a conversation as the chat format renders it: a role and its text. */
public record ChatMessage(String role, String text) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
    }
}
