package yunjing.proxy.server;

import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.llm.ApiEdge;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.UpstreamClient;

import java.time.Duration;

/** What every {@link ProxyHandler} of a node shares. Immutable. */
record Forwarding(String nodeId, UpstreamClient upstream, HttpCache cache, ProxyMetrics metrics,
        Duration clientIdleTimeout, ApiEdge api) {
}
