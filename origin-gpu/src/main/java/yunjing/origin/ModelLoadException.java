package yunjing.origin;

import java.io.Serial;

/**
 * A model directory is missing or malformed. The message is one line that names the file and the problem,
 * e.g. {@code /x/model.safetensors: header length 99999999 exceeds file size 1234}, so an operator can act on it
 * without reading a stack trace.
 */
public final class ModelLoadException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
