package yunjing.origin.tokenizer;

import yunjing.origin.ModelLoadException;

import java.nio.file.Path;
import java.util.List;

/**
 * Renders a conversation into the Llama 3 chat prompt:
 * <pre>
 * &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\nHello&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
 * </pre>
 * The format is fixed in Java. The {@code chat_template} string in {@code tokenizer_config.json} is Jinja and is
 * written for other tools (transformers, vLLM, llama.cpp); for the test model it renders exactly this text. A
 * Java Jinja renderer that honours each checkpoint's own template comes later; until then a checkpoint must
 * use these special tokens, which {@link #forTokenizer} checks at load.
 */
public final class ChatFormat {

    public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
    public static final String START_HEADER = "<|start_header_id|>";
    public static final String END_HEADER = "<|end_header_id|>";
    public static final String END_OF_TURN = "<|eot_id|>";

    private final BpeTokenizer tokenizer;
    private final int endOfTurnId;

    private ChatFormat(BpeTokenizer tokenizer, int endOfTurnId) {
        this.tokenizer = tokenizer;
        this.endOfTurnId = endOfTurnId;
    }

    /** The format for a tokenizer that has the Llama 3 special tokens; {@code file} names it in errors. */
    public static ChatFormat forTokenizer(Path file, BpeTokenizer tokenizer) throws ModelLoadException {
        for (String t : List.of(BEGIN_OF_TEXT, START_HEADER, END_HEADER, END_OF_TURN)) {
            if (tokenizer.idOf(t) < 0) {
                throw new ModelLoadException(file + ": no token " + t + "; the built-in chat format is Llama 3's"
                        + " (a Jinja chat_template renderer is not implemented yet)");
            }
        }
        return new ChatFormat(tokenizer, tokenizer.idOf(END_OF_TURN));
    }

    /**
     * The prompt text, ending with the assistant header so the model writes the next turn. Each message's text
     * is trimmed, as the Llama 3 template's {@code | trim} does.
     */
    public String render(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder(BEGIN_OF_TEXT);
        for (ChatMessage m : messages) {
            header(sb, m.role()).append(m.text().strip()).append(END_OF_TURN);
        }
        return header(sb, "assistant").toString();
    }

    public int[] encode(List<ChatMessage> messages) {
        return tokenizer.encode(render(messages));
    }

    /** The token that ends a turn; generation stops when the model produces it. */
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
