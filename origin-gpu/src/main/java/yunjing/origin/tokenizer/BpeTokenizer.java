package yunjing.origin.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.origin.ModelLoadException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} with a byte-level BPE model (GPT-2, Llama 3 and most current
 * checkpoints): added tokens are matched first, the rest is pre-tokenized ({@link PreTokenizer}), mapped to
 * byte-level characters ({@link ByteLevel}) and merged ({@link BpeModel}). {@link #encode} adds no BOS: the chat
 * format writes {@code <|begin_of_text|>} itself.
 *
 * <p>Merges are read in both forms tokenizers has written: {@code "Ġ t"} (before 0.20) and {@code ["Ġ","t"]}.
 * Immutable and thread-safe.
 */
public final class BpeTokenizer {

    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final BitSet special;
    private final BitSet added;
    private final AddedTokens addedTokens;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;

    private BpeTokenizer(String[] tokens, Map<String, Integer> ids, BitSet special, BitSet added,
                         AddedTokens addedTokens, PreTokenizer preTokenizer, BpeModel model) {
        this.tokens = tokens;
        this.ids = ids;
        this.special = special;
        this.added = added;
        this.addedTokens = addedTokens;
        this.preTokenizer = preTokenizer;
        this.model = model;
    }

    public static BpeTokenizer load(Path file) throws ModelLoadException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ModelLoadException(file + ": file not found", e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": not valid JSON: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(file + ": not a JSON object");
        }
        return fromJson(file, root);
    }

    static BpeTokenizer fromJson(Path file, JsonNode root) throws ModelLoadException {
        JsonNode m = root.path("model");
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new ModelLoadException(file + ": unsupported model type '" + type + "' (expected: BPE)");
        }
        if (m.path("byte_fallback").asBoolean(false) || !m.path("continuing_subword_prefix").isNull()
                && !m.path("continuing_subword_prefix").isMissingNode()
                || !m.path("end_of_word_suffix").isNull() && !m.path("end_of_word_suffix").isMissingNode()) {
            throw new ModelLoadException(file + ": BPE with byte_fallback / continuing_subword_prefix / "
                    + "end_of_word_suffix is not supported (expected: byte-level BPE)");
        }
        JsonNode normalizer = root.path("normalizer");
        if (!normalizer.isNull() && !normalizer.isMissingNode()) {
            throw new ModelLoadException(file + ": unsupported normalizer '" + normalizer.path("type").asText()
                    + "' (expected: null)");
        }
        JsonNode decoder = root.path("decoder");
        if (!decoder.isNull() && !decoder.isMissingNode() && !decoder.path("type").asText().equals("ByteLevel")) {
            throw new ModelLoadException(file + ": unsupported decoder '" + decoder.path("type").asText()
                    + "' (expected: ByteLevel)");
        }
        PreTokenizer pre = PreTokenizer.fromJson(file, root.get("pre_tokenizer"));

        JsonNode vocabNode = m.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) {
            throw new ModelLoadException(file + ": model.vocab is missing or empty");
        }
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = tokenId(file, e.getKey(), e.getValue());
            ids.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        Map<String, Integer> addedMap = new LinkedHashMap<>();
        BitSet special = new BitSet();
        BitSet added = new BitSet();
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText();
            int id = tokenId(file, content, t.path("id"));
            addedMap.put(content, id);
            ids.put(content, id);
            added.set(id);
            if (t.path("special").asBoolean(false)) {
                special.set(id);
            }
            maxId = Math.max(maxId, id);
        }
        String[] tokens = new String[maxId + 1];
        ids.forEach((token, id) -> {
            if (tokens[id] == null || added.get(id)) {
                tokens[id] = token;
            }
        });

        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new ModelLoadException(file + ": vocab has no token for byte 0x" + Integer.toHexString(b)
                        + " ('" + ByteLevel.charOf(b) + "'); a byte-level BPE vocab covers all 256 bytes");
            }
            byteIds[b] = id;
        }
        Map<Long, Long> merges = new HashMap<>();
        int rank = 0;
        for (JsonNode merge : m.path("merges")) {
            String left;
            String right;
            if (merge.isArray() && merge.size() == 2) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new ModelLoadException(file + ": merge " + rank + " is " + merge
                            + " (expected: \"left right\" or [left, right])");
                }
                left = parts[0];
                right = parts[1];
            }
            Integer l = ids.get(left);
            Integer r = ids.get(right);
            Integer merged = ids.get(left + right);
            if (l == null || r == null || merged == null) {
                throw new ModelLoadException(file + ": merge " + rank + " (" + left + " " + right
                        + ") uses a token missing from the vocab");
            }
            merges.putIfAbsent(BpeModel.pair(l, r), ((long) rank << 32) | merged);
            rank++;
        }
        BpeModel model = new BpeModel(Map.copyOf(ids), merges, byteIds, m.path("ignore_merges").asBoolean(false));
        return new BpeTokenizer(tokens, Map.copyOf(ids), special, added, new AddedTokens(addedMap), pre, model);
    }

    private static int tokenId(Path file, String token, JsonNode id) throws ModelLoadException {
        if (!id.canConvertToExactIntegral() || id.asLong() < 0 || id.asLong() > 10_000_000) {
            throw new ModelLoadException(file + ": token '" + token + "' has id " + id
                    + " (expected: an integer in 0..10000000)");
        }
        return id.asInt();
    }

    /** Token ids for {@code text}; added tokens written literally in the text become their single ids. */
    public int[] encode(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        for (AddedTokens.Segment s : addedTokens.split(text)) {
            if (s.id() >= 0) {
                out.add(s.id());
            } else {
                preTokenizer.pieces(s.text(), piece -> model.encode(piece, out::add));
            }
        }
        return out.toArray();
    }

    /** The bytes one token stands for: an added token's UTF-8 content, or the bytes of a byte-level token. */
    public byte[] tokenBytes(int id) {
        String token = token(id);
        if (token == null) {
            return new byte[0];
        }
        return added.get(id) ? token.getBytes(StandardCharsets.UTF_8) : ByteLevel.decode(token);
    }

    /** Decodes ids to text, invalid UTF-8 replaced by U+FFFD as tokenizers does. */
    public String decode(int[] tokenIds, boolean skipSpecial) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : tokenIds) {
            if (!(skipSpecial && isSpecial(id))) {
                bytes.writeBytes(tokenBytes(id));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The vocabulary string of {@code id}, or null if no token has it. */
    public String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** The id of a vocabulary or added token, or -1. */
    public int idOf(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public boolean isSpecial(int id) {
        return id >= 0 && special.get(id);
    }

    /** One more than the largest id; the model's embedding must have at least this many rows. */
    public int size() {
        return tokens.length;
    }
}
