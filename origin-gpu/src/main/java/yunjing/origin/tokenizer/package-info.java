/**
 * Hugging Face byte-level BPE ({@code tokenizer.json}) and the chat prompt format. Internal to the origin
 * module: public only so that {@code yunjing.origin} and its other subpackages can use it.
 */
package yunjing.origin.tokenizer;
