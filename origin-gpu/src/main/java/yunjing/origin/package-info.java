/**
 * The inference origin: an OpenAI-compatible HTTP server in front of model engines.
 *
 * <p>This package is the module's public edge: {@link yunjing.origin.OriginServer},
 * {@link yunjing.origin.OriginConfig}, {@link yunjing.origin.ModelSpec} and
 * {@link yunjing.origin.ModelLoadException}, plus {@link yunjing.origin.model.TestModelGenerator} for tests and the
 * local cluster. The subpackages hold the parts, named for the room a change belongs in:
 * <ul>
 *   <li>{@code model}: checkpoint files (safetensors, config.json) and the tiny test model generator;</li>
 *   <li>{@code tokenizer}: Hugging Face byte-level BPE and the chat format;</li>
 *   <li>{@code engine}: the inference engines and the token generation loop (sampling, stop rules);</li>
 *   <li>{@code api}: the Netty HTTP/1.1 + h2c server speaking the OpenAI API.</li>
 * </ul>
 * Types in the subpackages are public only because Java packages need that to see each other; they are not API
 * and other modules must not use them (they talk to the origin over HTTP, see docs/architecture.md).
 */
package yunjing.origin;
