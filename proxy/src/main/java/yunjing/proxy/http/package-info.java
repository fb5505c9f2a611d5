/**
 * HTTP rules the proxy applies in both directions: hop-by-hop stripping (RFC 9110 §7.6.1), the
 * forwarding headers {@code Via}, {@code Forwarded}, {@code X-Request-Id} and {@code Cache-Status},
 * the OpenAI-shaped error responses, and the names of every pipeline handler.
 *
 * <p>Internal to the proxy module: public only so that the sibling packages can use it.
 */
package yunjing.proxy.http;
