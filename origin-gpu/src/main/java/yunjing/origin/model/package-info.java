/**
 * Checkpoint directories in Hugging Face layout: {@code config.json}, safetensors weights (fp32, fp16, bf16),
 * {@code tokenizer.json}, {@code tokenizer_config.json}, {@code generation_config.json}; and the seeded tiny test
 * model. Public types other than {@link yunjing.origin.model.TestModelGenerator} are internal to the origin
 * module.
 */
package yunjing.origin.model;
