package yunjing.origin.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's own chat template: the Jinja {@code chat_template} of {@code tokenizer_config.json}, rendered by
 * HubSpot's Jinjava the way transformers' {@code apply_chat_template} renders it with Jinja2: blocks trimmed and
 * left-stripped, {@code messages} as a list of {@code {role, content}}, {@code add_generation_prompt} true,
 * {@code bos_token} / {@code eos_token} from the config, and {@code raise_exception(message)} to refuse a
 * conversation (which the API turns into a 400).
 *
 * <p>Thread-safe: each render gets its own interpreter.
 */
final class ChatTemplate {

    /** The template refused the conversation, or could not be rendered. */
    static final class RenderException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        RenderException(String message) {
            super(message);
        }
    }

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    /** The prompt text for {@code messages}, ending where the assistant's next turn begins. */
    String render(List<ChatMessage> messages) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> message = new HashMap<>();
            message.put("role", m.role());
            message.put("content", m.text());
            list.add(message);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", list);
        bindings.put("add_generation_prompt", true);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, bindings);
        } catch (RuntimeException e) {
            throw new RenderException("chat template: " + rootMessage(e));
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                String message = error.getException() != null ? rootMessage(error.getException())
                        : error.getMessage();
                throw new RenderException("chat template: " + message);
            }
        }
        return result.getOutput();
    }

    /** Jinja's {@code raise_exception}, as transformers defines it for chat templates. */
    public static String raiseException(String message) {
        throw new RenderException(message);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t instanceof RenderException ? t.getMessage() : String.valueOf(e.getMessage());
    }
}
