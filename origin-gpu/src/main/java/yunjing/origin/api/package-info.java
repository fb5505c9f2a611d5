/**
 * The OpenAI-compatible HTTP API on Netty: one port speaking HTTP/1.1 and h2c (prior knowledge and
 * {@code Upgrade: h2c}), {@code /v1/models} and {@code /v1/chat/completions} with SSE streaming.
 * Internal to the origin module: only {@link yunjing.origin.api.ApiListener} and
 * {@link yunjing.origin.api.ServedModel} are public, for {@link yunjing.origin.OriginServer}.
 *
 * <p>Threading: handlers run on the event loop and only parse, route and write; tokenizing and generating run
 * on the inference executor, which writes results to the channel (Netty hands those writes to the event loop).
 */
package yunjing.origin.api;
