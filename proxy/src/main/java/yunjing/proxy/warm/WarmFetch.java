package yunjing.proxy.warm;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import yunjing.proxy.WarmResult;
import yunjing.proxy.cache.HttpCache;
import yunjing.proxy.cache.ResponseHandle;
import yunjing.proxy.http.ProxyHeaders;
import yunjing.proxy.upstream.UpstreamException;
import yunjing.proxy.upstream.UpstreamListener;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * One URL warmed: a GET handed to {@link HttpCache#serve} as a client's would be (a miss fills the entry,
 * collapsed with any client fetching it meanwhile), whose body is counted and released as it arrives.
 * Confined to its event loop; reports exactly once.
 */
final class WarmFetch implements UpstreamListener {

    private final String url;
    private final String nodeId;
    private final Consumer<WarmResult> done;
    private int status;
    private long bytes;
    private String cacheStatus;
    private boolean reported;

    WarmFetch(String url, String nodeId, Consumer<WarmResult> done) {
        this.url = url;
        this.nodeId = nodeId;
        this.done = done;
    }

    /** Starts the fetch. On {@code loop}. */
    void start(HttpCache cache, EventLoop loop, String host, String target) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        head.headers()
                .set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.USER_AGENT, "yunjing-warm/" + nodeId)
                .set(ProxyHeaders.X_REQUEST_ID, "warm-" + UUID.randomUUID())
                .set(HttpHeaderNames.VIA, "1.1 " + nodeId);
        ResponseHandle handle;
        try {
            handle = cache.serve(head, loop, this);
        } catch (RuntimeException e) {
            report("not fetched: " + e.getMessage());
            return;
        }
        if (handle == null) {
            report("not cacheable: the target bypasses the cache");
        }
    }

    @Override
    public void onInformational(HttpResponse response) {
    }

    @Override
    public void onResponseHead(HttpResponse response) {
        status = response.status().code();
        cacheStatus = ProxyHeaders.cacheStatusOf(response.headers().get(ProxyHeaders.CACHE_STATUS), nodeId);
    }

    @Override
    public void onResponseContent(HttpContent content) {
        bytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        content.release();
        if (last) {
            report(null);
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        // A GET has no body to send.
    }

    @Override
    public void onFailure(UpstreamException cause) {
        report(cause.getMessage());
    }

    private void report(String error) {
        if (!reported) {
            reported = true;
            done.accept(new WarmResult(url, status, bytes, cacheStatus, error));
        }
    }
}
