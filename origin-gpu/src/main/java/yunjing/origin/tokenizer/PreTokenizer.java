package yunjing.origin.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import yunjing.origin.ModelLoadException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces BPE runs on, and maps each piece to byte-level characters. Supports the
 * {@code pre_tokenizer} shapes byte-level BPE checkpoints use: {@code ByteLevel} alone (GPT-2 style) or a
 * {@code Sequence} of {@code Split} steps ending in {@code ByteLevel} (Llama 3 style, where the Split carries
 * the pattern and ByteLevel has {@code use_regex: false}). Anything else is refused at load.
 */
final class PreTokenizer {

    /** One regex split with tokenizers' "Isolated" behaviour: matches and the gaps between them become pieces. */
    private record Split(Pattern pattern) {
        void apply(String text, Consumer<String> out) {
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.start() > last) {
                    out.accept(text.substring(last, m.start()));
                }
                if (m.end() > m.start()) {
                    out.accept(m.group());
                }
                last = m.end();
            }
            if (last < text.length()) {
                out.accept(text.substring(last));
            }
        }
    }

    private final List<Split> splits;
    private final boolean addPrefixSpace;
    /** ByteLevel's own GPT-2 split when {@code use_regex} is true, else null. */
    private final Split byteLevelSplit;

    private PreTokenizer(List<Split> splits, boolean addPrefixSpace, Split byteLevelSplit) {
        this.splits = splits;
        this.addPrefixSpace = addPrefixSpace;
        this.byteLevelSplit = byteLevelSplit;
    }

    static PreTokenizer fromJson(Path file, JsonNode node) throws ModelLoadException {
        if (node == null || node.isNull()) {
            throw new ModelLoadException(file + ": pre_tokenizer is null (expected: ByteLevel, this tokenizer "
                    + "supports byte-level BPE only)");
        }
        List<JsonNode> steps = new ArrayList<>();
        if (node.path("type").asText().equals("Sequence")) {
            node.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(node);
        }
        List<Split> splits = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            String type = step.path("type").asText();
            boolean last = i == steps.size() - 1;
            switch (type) {
                case "Split" -> {
                    if (last) {
                        throw new ModelLoadException(file + ": pre_tokenizer must end with ByteLevel");
                    }
                    splits.add(split(file, step));
                }
                case "ByteLevel" -> {
                    if (!last) {
                        throw new ModelLoadException(file + ": pre_tokenizer ByteLevel must be the last step");
                    }
                    return new PreTokenizer(List.copyOf(splits), step.path("add_prefix_space").asBoolean(false),
                            step.path("use_regex").asBoolean(true) ? new Split(ByteLevel.GPT2_PATTERN) : null);
                }
                default -> throw new ModelLoadException(file + ": unsupported pre_tokenizer type '" + type
                        + "' (supported: ByteLevel, Split, Sequence)");
            }
        }
        throw new ModelLoadException(file + ": pre_tokenizer has no ByteLevel step");
    }

    private static Split split(Path file, JsonNode step) throws ModelLoadException {
        String behavior = step.path("behavior").asText();
        if (!behavior.equals("Isolated") || step.path("invert").asBoolean(false)) {
            throw new ModelLoadException(file + ": unsupported Split behavior '" + behavior + "'"
                    + (step.path("invert").asBoolean(false) ? " with invert" : "") + " (supported: Isolated)");
        }
        JsonNode pattern = step.path("pattern");
        try {
            if (pattern.has("Regex")) {
                return new Split(Pattern.compile(pattern.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS));
            }
            if (pattern.has("String")) {
                return new Split(Pattern.compile(Pattern.quote(pattern.get("String").asText())));
            }
        } catch (RuntimeException e) {
            throw new ModelLoadException(file + ": Split pattern does not compile in Java: " + e.getMessage()
                    .lines().findFirst().orElse(""), e);
        }
        throw new ModelLoadException(file + ": Split pattern " + pattern + " (expected: {\"Regex\": ..} or "
                + "{\"String\": ..})");
    }

    /** Feeds each piece of {@code text}, already mapped to byte-level characters, to {@code out}. */
    void pieces(String text, Consumer<String> out) {
        List<String> current = List.of(text);
        for (Split s : splits) {
            List<String> next = new ArrayList<>();
            for (String piece : current) {
                s.apply(piece, next::add);
            }
            current = next;
        }
        for (String piece : current) {
            // tokenizers' ByteLevel prepends the space to each split it is given, before its own regex.
            String prefixed = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
            if (byteLevelSplit == null) {
                out.accept(ByteLevel.encode(prefixed));
            } else {
                byteLevelSplit.apply(prefixed, p -> out.accept(ByteLevel.encode(p)));
            }
        }
    }
}
