/**
 * The node's HTTP cache (RFC 9111 shared cache): keys, policy, L1 in memory, L2 on disk, request
 * collapsing with read-while-writer, revalidation and stale serving. {@link yunjing.proxy.cache.HttpCache}
 * is the entry point for the server package; everything else is package-private.
 *
 * <p>Internal to the proxy module: public only so that the sibling packages can use it.
 */
package yunjing.proxy.cache;
