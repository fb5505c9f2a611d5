/**
 * The API edge: key authentication, per-key plan limits (concurrency, requests per minute and per day)
 * and request hygiene for the OpenAI-compatible {@code /v1/} API, applied before a request crosses the
 * long-haul link. Used by the server package; configured through {@link yunjing.proxy.ApiAccess}.
 */
package yunjing.proxy.llm;
