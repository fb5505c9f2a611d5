package yunjing.proxy.server;

import yunjing.proxy.accesslog.AccessLog;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.llm.ApiEdge;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.ParentTrace;
import yunjing.proxy.upstream.UpstreamClient;

import java.time.Duration;

/**
 * What every {@link ProxyHandler} of a node shares. Immutable.
 *
 * @param accessLog where each exchange is logged when it ends ({@link AccessLog#OFF}: nowhere)
 * @param parents   which parent answered a request id, for the access log
 */
record Forwarding(String nodeId, UpstreamClient upstream, HttpCache cache, ProxyMetrics metrics,
        Duration clientIdleTimeout, ApiEdge api, AccessLog accessLog, ParentTrace parents) {
}
