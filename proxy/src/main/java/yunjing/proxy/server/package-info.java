/**
 * The client side of a node: listeners for HTTP/1.1 and h2c (prior knowledge and Upgrade) and for TLS
 * with ALPN (h2, HTTP/1.1), and the one {@code ProxyHandler} that forwards every request, whether it
 * arrived as an HTTP/1.1 message or as an HTTP/2 stream converted to HTTP objects.
 *
 * <p>Internal to the proxy module: public only so that {@code yunjing.proxy.ProxyServer} can use it.
 */
package yunjing.proxy.server;
