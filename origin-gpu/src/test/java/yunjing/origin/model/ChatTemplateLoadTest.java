package yunjing.origin.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.origin.ModelLoadException;
import yunjing.origin.tokenizer.ChatMessage;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint's chat_template is what renders its prompts; a broken one is refused at load. */
class ChatTemplateLoadTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private void setTemplate(Object template) throws Exception {
        Path file = dir.resolve(Checkpoint.TOKENIZER_CONFIG);
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        if (template == null) {
            config.remove("chat_template");
        } else {
            config.set("chat_template", JSON.valueToTree(template));
        }
        JSON.writeValue(file.toFile(), config);
    }

    @Test
    void generatedModel_usesItsTemplate_whichMatchesTheBuiltInFormat() throws Exception {
        TestModelGenerator.generate(dir, 1);
        Checkpoint withTemplate = Checkpoint.load(dir);
        List<ChatMessage> chat = List.of(new ChatMessage("user", " hi "));
        assertTrue(withTemplate.chatFormat().usesCheckpointTemplate());
        setTemplate(null);
        Checkpoint builtIn = Checkpoint.load(dir);
        assertTrue(!builtIn.chatFormat().usesCheckpointTemplate());
        assertEquals(builtIn.chatFormat().render(chat), withTemplate.chatFormat().render(chat));
        assertEquals(builtIn.chatFormat().encode(chat).length, withTemplate.chatFormat().encode(chat).length);
    }

    @Test
    void namedTemplates_theDefaultOneIsUsed() throws Exception {
        TestModelGenerator.generate(dir, 1);
        setTemplate(List.of(java.util.Map.of("name", "tool_use", "template", "{{ raise_exception('no') }}"),
                java.util.Map.of("name", "default", "template",
                        "{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}[assistant]")));
        Checkpoint cp = Checkpoint.load(dir);
        assertEquals("[user]hi[assistant]", cp.chatFormat().render(List.of(new ChatMessage("user", "hi"))));
    }

    @Test
    void brokenTemplate_isRefusedAtLoad_namingTheFile() throws Exception {
        TestModelGenerator.generate(dir, 1);
        setTemplate("{% for m in messages %}{{ m['content'] }");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains(Checkpoint.TOKENIZER_CONFIG), e.getMessage());
        assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
    }
}
