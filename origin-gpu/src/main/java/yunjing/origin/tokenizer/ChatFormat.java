package yunjing.origin.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import yunjing.origin.ModelLoadException;

import java.nio.file.Path;
import java.util.List;

/**
 * Renders a conversation into the model's chat prompt. With {@link #load}, a checkpoint whose
 * {@code tokenizer_config.json} has a Jinja {@code chat_template} gets exactly that template ({@link
 * ChatTemplate}, rendered in Java by Jinjava); without one, the built-in Llama 3 format:
 * <pre>
 * &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\nHello&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
 * </pre>
 * which needs these special tokens ({@link #forTokenizer} checks them at load).
 */
public final class ChatFormat {

    public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
    public static final String START_HEADER = "<|start_header_id|>";
    public static final String END_HEADER = "<|end_header_id|>";
    public static final String END_OF_TURN = "<|eot_id|>";

    private final BpeTokenizer tokenizer;
    private final int endOfTurnId;
    /** The checkpoint's own template; null for the built-in Llama 3 format. */
    private final ChatTemplate template;

    private ChatFormat(BpeTokenizer tokenizer, int endOfTurnId, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.endOfTurnId = endOfTurnId;
        this.template = template;
    }

    /**
     * The checkpoint's {@code chat_template} (a string, or the {@code "default"} of a list of named templates)
     * when {@code tokenizerConfig} has one, else the built-in format. A template that does not parse or cannot
     * render a one-message conversation is refused here, naming {@code tokenizerConfigFile}.
     */
    public static ChatFormat load(Path tokenizerFile, BpeTokenizer tokenizer, Path tokenizerConfigFile,
                                  JsonNode tokenizerConfig) throws ModelLoadException {
        String source = templateSource(tokenizerConfig);
        if (source == null || source.isBlank()) {
            return forTokenizer(tokenizerFile, tokenizer);
        }
        ChatTemplate template = new ChatTemplate(source, tokenText(tokenizerConfig, "bos_token"),
                tokenText(tokenizerConfig, "eos_token"));
        try {
            template.render(List.of(new ChatMessage("user", "Hello")));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(tokenizerConfigFile + ": chat_template does not render a one-message "
                    + "conversation: " + e.getMessage(), e);
        }
        return new ChatFormat(tokenizer, tokenizer.idOf(END_OF_TURN), template);
    }

    private static String templateSource(JsonNode config) {
        JsonNode t = config == null ? null : config.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.isArray()) { // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    return named.path("template").asText(null);
                }
            }
        }
        return null;
    }

    /** A special token's text: a plain string, or an AddedToken object with {@code content}. */
    private static String tokenText(JsonNode config, String field) {
        JsonNode t = config.path(field);
        return t.isObject() ? t.path("content").asText("") : t.asText("");
    }

    /** The format for a tokenizer that has the Llama 3 special tokens; {@code file} names it in errors. */
    public static ChatFormat forTokenizer(Path file, BpeTokenizer tokenizer) throws ModelLoadException {
        for (String t : List.of(BEGIN_OF_TEXT, START_HEADER, END_HEADER, END_OF_TURN)) {
            if (tokenizer.idOf(t) < 0) {
                throw new ModelLoadException(file + ": no token " + t + "; the built-in chat format is Llama 3's"
                        + " (a Jinja chat_template renderer is not implemented yet)");
            }
        }
        return new ChatFormat(tokenizer, tokenizer.idOf(END_OF_TURN), null);
    }

    /**
     * The prompt text, ending where the assistant's turn begins so the model writes it. In the built-in format
     * each message's text is trimmed, as the Llama 3 template's {@code | trim} does.
     *
     * @throws IllegalArgumentException when the checkpoint's template refuses the conversation (its
     *                                  {@code raise_exception}, e.g. roles that do not alternate)
     */
    public String render(List<ChatMessage> messages) {
        if (template != null) {
            return template.render(messages);
        }
        StringBuilder sb = new StringBuilder(BEGIN_OF_TEXT);
        for (ChatMessage m : messages) {
            header(sb, m.role()).append(m.text().strip()).append(END_OF_TURN);
        }
        return header(sb, "assistant").toString();
    }

    public int[] encode(List<ChatMessage> messages) {
        return tokenizer.encode(render(messages));
    }

    /** True when the checkpoint's own Jinja template renders the prompt. */
    public boolean usesCheckpointTemplate() {
        return template != null;
    }

    /** The Llama 3 end-of-turn token, or -1 when a checkpoint template is used with a tokenizer without it. */
    public int endOfTurnId() {
        return endOfTurnId;
    }

    /** The Jinja equivalent of {@link #render}, written into {@code tokenizer_config.json} for other tools. */
    public static String jinjaTemplate() {
        return "{{ bos_token }}{% for message in messages %}"
                + "{{ '" + START_HEADER + "' + message['role'] + '" + END_HEADER + "\\n\\n' + message['content'] | trim"
                + " + '" + END_OF_TURN + "' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '" + START_HEADER + "assistant" + END_HEADER + "\\n\\n' }}{% endif %}";
    }

    private static StringBuilder header(StringBuilder sb, String role) {
        return sb.append(START_HEADER).append(role).append(END_HEADER).append("\n\n");
    }
}
