package yunjing.proxy.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Asks the origin for a stream's usage ({@code "stream_options":{"include_usage":true}}) on behalf of the
 * edge, which needs it to charge tokens per minute and to store a streamed answer, when the client did not
 * ask. The edge then strips the usage from what it relays ({@link AnswerTap}), so the client sees the
 * stream it asked for. Stateless.
 */
final class UsageOption {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] MEMBER =
            "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);

    private UsageOption() {
    }

    /**
     * The body with {@code include_usage} set. Takes ownership of {@code body}; the caller owns the result.
     * A body without {@code stream_options} (the usual case) gets the member spliced in after its opening
     * brace, without copying a multi-megabyte body; one with other stream options is re-serialised.
     *
     * @param root the parsed {@code body}, a JSON object
     */
    static ByteBuf request(ByteBuf body, JsonNode root, ByteBufAllocator alloc) {
        if (!root.has("stream_options")) {
            int brace = body.indexOf(body.readerIndex(), body.writerIndex(), (byte) '{');
            // The body parsed as an object with model and messages: a brace opens it (only whitespace may come
            // before it) and a member follows, so the spliced member ends with a comma.
            CompositeByteBuf spliced = alloc.compositeBuffer(3);
            spliced.addComponent(true, body.retainedSlice(body.readerIndex(), brace + 1 - body.readerIndex()));
            spliced.addComponent(true, alloc.buffer(MEMBER.length).writeBytes(MEMBER));
            spliced.addComponent(true, body.retainedSlice(brace + 1, body.writerIndex() - brace - 1));
            body.release();
            return spliced;
        }
        ObjectNode copy = ((ObjectNode) root).deepCopy();
        JsonNode options = copy.get("stream_options");
        ObjectNode withUsage = options instanceof ObjectNode o ? o : copy.putObject("stream_options");
        withUsage.put("include_usage", true);
        try {
            byte[] bytes = JSON.writeValueAsBytes(copy);
            body.release();
            return alloc.buffer(bytes.length).writeBytes(bytes);
        } catch (JsonProcessingException e) {
            body.release();
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
