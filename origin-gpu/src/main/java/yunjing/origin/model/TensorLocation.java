package yunjing.origin.model;

import java.nio.file.Path;

/**
 * Where a checkpoint tensor's bytes lie, for an engine that maps the file itself (the native worker).
 *
 * @param offset   byte offset of the first element from the start of {@code file}
 * @param dtype    safetensors type name: {@code F32}, {@code F16} or {@code BF16}
 * @param elements element count (the product of the shape, already checked against config.json)
 */
public record TensorLocation(Path file, long offset, String dtype, long elements) {}
