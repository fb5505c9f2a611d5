package yunjing.origin;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One model the origin serves.
 *
 * @param servedName the id clients put in {@code "model"} and see in {@code GET /v1/models}, e.g. {@code tiny-llama}
 * @param directory  a Hugging Face style checkpoint directory ({@code config.json}, {@code model.safetensors},
 *                   {@code tokenizer.json}, …)
 * @param revision   informational (e.g. the sync manifest version); shown in {@code GET /v1/models}, may be null
 */
public record ModelSpec(String servedName, Path directory, String revision) {
    public ModelSpec {
        Objects.requireNonNull(servedName, "servedName");
        Objects.requireNonNull(directory, "directory");
        if (servedName.isBlank()) {
            throw new IllegalArgumentException("servedName: '" + servedName + "' (expected: not blank)");
        }
    }
}
