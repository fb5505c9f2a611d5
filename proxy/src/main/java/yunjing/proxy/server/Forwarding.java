package yunjing.proxy.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import yunjing.proxy.accesslog.AccessLog;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.http.PipelineNames;
import yunjing.proxy.llm.ApiEdge;
import yunjing.proxy.metrics.ProxyMetrics;
import yunjing.proxy.upstream.ParentTrace;
import yunjing.proxy.upstream.UpstreamClient;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * What every {@link ProxyHandler} of a node shares. Immutable.
 *
 * @param accessLog where each exchange is logged when it ends ({@link AccessLog#OFF}: nowhere)
 * @param parents   which parent answered a request id, for the access log
 * @param local     makes, per connection or stream, a handler put in front of the proxy that answers
 *                  the requests the node can answer itself and passes the rest on; null for none
 */
record Forwarding(String nodeId, UpstreamClient upstream, HttpCache cache, ProxyMetrics metrics,
        Duration clientIdleTimeout, ApiEdge api, AccessLog accessLog, ParentTrace parents,
        Supplier<ChannelHandler> local) {

    /** Adds the local handler, if any, and the proxy behind it to {@code pipeline}, right after the handler named {@code after}. */
    void addHandlers(ChannelPipeline pipeline, String after, String scheme, boolean http2) {
        String last = after;
        if (local != null) {
            pipeline.addAfter(last, PipelineNames.LOCAL, local.get());
            last = PipelineNames.LOCAL;
        }
        pipeline.addAfter(last, PipelineNames.PROXY, new ProxyHandler(this, scheme, http2));
    }
}
