/**
 * The way to the parents: choosing a parent ({@link yunjing.proxy.upstream.ParentSelector}: rendezvous
 * hashing with bounded load, grandparent tier, a circuit breaker per parent), connecting with safe
 * retries and deadlines, a small keep-alive pool per parent and event loop, and relaying one exchange
 * ({@link yunjing.proxy.upstream.UpstreamExchange}) over HTTP/1.1.
 *
 * <p>Thread confinement: an exchange and its upstream connection live on the event loop of the client
 * channel that asked for it, so neither side needs locks and nothing crosses threads.
 *
 * <p>Internal to the proxy module: public only so that the sibling packages can use it.
 */
package yunjing.proxy.upstream;
