package yunjing.proxy.server;

import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.UpstreamClient;

/** What every {@link ProxyHandler} of a node shares. Immutable. */
record Forwarding(String nodeId, UpstreamClient upstream, HttpCache cache, ProxyMetrics metrics) {
}
