package yunjing.origin.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint chat templates rendered in Java as transformers renders them with Jinja2. */
class ChatTemplateTest {

    /** Meta's Llama 3 Instruct template, as shipped in its tokenizer_config.json. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** A ChatML template (Qwen2 style) that refuses unknown roles with raise_exception. */
    static final String CHATML = "{% for message in messages %}"
            + "{% if loop.first and message['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
            + "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
            + "{{ raise_exception('Unknown role: ' + message['role']) }}{% endif %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final List<ChatMessage> CONVERSATION = List.of(new ChatMessage("system", "  Be brief. "),
            new ChatMessage("user", "Where is the mirror?\n"), new ChatMessage("assistant", "In Beijing."),
            new ChatMessage("user", "And 上海?"));

    @Test
    void testModelTemplate_rendersExactlyTheBuiltInFormat() {
        ChatTemplate template = new ChatTemplate(ChatFormat.jinjaTemplate(), ChatFormat.BEGIN_OF_TEXT,
                ChatFormat.END_OF_TURN);
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhere is the mirror?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nIn Beijing.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd 上海?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, template.render(CONVERSATION));
    }

    @Test
    void llama3Template_rendersLikeJinja2() {
        ChatTemplate template = new ChatTemplate(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        String rendered = template.render(CONVERSATION);
        assertTrue(rendered.startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief."
                + "<|eot_id|>"), rendered);
        assertTrue(rendered.endsWith("And 上海?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
                rendered);
    }

    @Test
    void chatmlTemplate_addsTheDefaultSystemPrompt_andRefusesUnknownRoles() {
        ChatTemplate template = new ChatTemplate(CHATML, "", "<|im_end|>");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                template.render(List.of(new ChatMessage("user", "hi"))));
        ChatTemplate.RenderException e = assertThrows(ChatTemplate.RenderException.class,
                () -> template.render(List.of(new ChatMessage("wizard", "hi"))));
        assertTrue(e.getMessage().contains("Unknown role: wizard"), e.getMessage());
    }

    @Test
    void brokenTemplate_failsToRender() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{{ m['content'] }", "", "");
        assertThrows(ChatTemplate.RenderException.class, () -> template.render(CONVERSATION));
    }
}
