package yunjing.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives what a parent sends back for one exchange. Every call runs on the event loop the exchange
 * was started on. After {@link #onFailure} or the {@link io.netty.handler.codec.http.LastHttpContent}
 * of the response, no more calls come.
 */
public interface UpstreamListener {

    /** An interim 1xx response (e.g. 100 Continue, RFC 9110 §15.2), not the final one. */
    void onInformational(HttpResponse response);

    /** The final response head; its hop-by-hop headers are still in place. */
    void onResponseHead(HttpResponse response);

    /**
     * A piece of the response body; a {@link io.netty.handler.codec.http.LastHttpContent} ends it.
     * Ownership of the content passes to the listener, which must release or write it.
     */
    void onResponseContent(HttpContent content);

    /**
     * Whether {@link UpstreamExchange#write} may be called without piling up data: false while
     * connecting and while the parent connection's outbound buffer is above its high water mark.
     */
    void onWritabilityChanged(boolean writable);

    /** The exchange failed; {@code cause.kind()} tells how. */
    void onFailure(UpstreamException cause);
}
