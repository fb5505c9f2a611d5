package yunjing.origin.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.origin.ModelLoadException;
import yunjing.origin.tokenizer.BpeTokenizer;
import yunjing.origin.tokenizer.ChatFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * A loaded checkpoint directory: config, fp32 weights, tokenizer, chat format and end-of-sequence ids.
 * Everything is read and checked here, once, so that a bad directory fails {@code OriginServer.start} with a
 * one-line {@link ModelLoadException} before any port is bound.
 *
 * @param eosTokenIds ids that end generation: {@code generation_config.json}'s {@code eos_token_id} (one or a
 *                    list), {@code tokenizer_config.json}'s {@code eos_token}, and the chat format's end of turn
 */
public record Checkpoint(Path directory, LlamaConfig config, LlamaWeights weights, BpeTokenizer tokenizer,
                         ChatFormat chatFormat, int[] eosTokenIds) {

    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Checkpoint load(Path directory) throws ModelLoadException {
        if (!Files.isDirectory(directory)) {
            throw new ModelLoadException(directory + ": model directory does not exist");
        }
        Path configFile = directory.resolve(CONFIG);
        LlamaConfig config = LlamaConfig.parse(configFile, readJson(configFile, true));
        Path tokenizerFile = directory.resolve(TOKENIZER);
        BpeTokenizer tokenizer = BpeTokenizer.load(tokenizerFile);
        if (tokenizer.size() > config.vocabSize()) {
            throw new ModelLoadException(tokenizerFile + ": token ids go up to " + (tokenizer.size() - 1)
                    + " but config.json has vocab_size " + config.vocabSize());
        }
        Path tokenizerConfigFile = directory.resolve(TOKENIZER_CONFIG);
        JsonNode tokenizerConfig = readJson(tokenizerConfigFile, false);
        ChatFormat chat = ChatFormat.load(tokenizerFile, tokenizer, tokenizerConfigFile, tokenizerConfig);

        TreeSet<Integer> eos = new TreeSet<>();
        if (chat.endOfTurnId() >= 0) {
            eos.add(chat.endOfTurnId());
        }
        Path generationFile = directory.resolve(GENERATION_CONFIG);
        JsonNode generation = readJson(generationFile, false);
        if (generation != null) {
            JsonNode ids = generation.path("eos_token_id");
            if (ids.isArray()) {
                ids.forEach(id -> eos.add(id.asInt()));
            } else if (ids.canConvertToExactIntegral()) {
                eos.add(ids.asInt());
            }
        }
        if (tokenizerConfig != null) {
            JsonNode eosToken = tokenizerConfig.path("eos_token");
            String text = eosToken.isObject() ? eosToken.path("content").asText() : eosToken.asText("");
            if (!text.isEmpty()) {
                int id = tokenizer.idOf(text);
                if (id < 0) {
                    throw new ModelLoadException(tokenizerConfigFile + ": eos_token " + text + " is not in "
                            + TOKENIZER);
                }
                eos.add(id);
            }
        }

        LlamaWeights weights;
        try (TensorSource tensors = TensorSource.open(directory)) {
            weights = LlamaWeights.load(tensors, config);
        }
        return new Checkpoint(directory, config, weights, tokenizer, chat,
                eos.stream().mapToInt(Integer::intValue).toArray());
    }

    private static JsonNode readJson(Path file, boolean required) throws ModelLoadException {
        if (!Files.exists(file)) {
            if (required) {
                throw new ModelLoadException(file + ": file not found");
            }
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file + ": not valid JSON: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }
}
