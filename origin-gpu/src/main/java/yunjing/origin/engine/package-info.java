/**
 * Inference engines and the generation loop around them (sampling, stop rules, cancellation). Internal to the
 * origin module: public only so that {@code yunjing.origin} and {@code yunjing.origin.api} can use it.
 *
 * <p>{@link yunjing.origin.engine.JavaReferenceEngine} is the golden reference: a plain fp32 Llama forward
 * pass that a native worker's output will be compared with.
 */
package yunjing.origin.engine;
