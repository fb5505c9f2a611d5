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
 * @param images     what to do with image content parts: the Llama-family models served today have no vision
 *                   encoder, so by default they are refused with a 400 rather than silently unseen
 */
public record ModelSpec(String servedName, Path directory, String revision, ImageParts images) {

    /** How a text-only model treats image content parts in a chat request. */
    public enum ImageParts {
        /** 400 {@code model does not support images}: the client learns its screenshot was not seen. */
        REFUSE,
        /** Accepted and dropped untokenized (counted in a metric): for clients and benchmarks that carry images
         * a text model may ignore. */
        IGNORE
    }

    public ModelSpec(String servedName, Path directory, String revision) {
        this(servedName, directory, revision, ImageParts.REFUSE);
    }

    public ModelSpec {
        Objects.requireNonNull(servedName, "servedName");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(images, "images");
        if (servedName.isBlank()) {
            throw new IllegalArgumentException("servedName: '" + servedName + "' (expected: not blank)");
        }
    }
}
