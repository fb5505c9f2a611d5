package yunjing.proxy.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import yunjing.proxy.cache.CacheKey;
import yunjing.proxy.http.ProxyHeaders;

/**
 * What a request is hashed by to choose its parent: the session affinity key when the request carries
 * one ({@link SessionAffinity}, set by the edge on chat completions), else the request's primary cache
 * key (normalised host, path and query, so that every spelling of one URL lands on one parent and each
 * object is cached on one parent only).
 */
final class SelectionKey {

    private SelectionKey() {
    }

    static String of(HttpRequest head) {
        String affinity = head.headers().get(ProxyHeaders.X_YUNJING_AFFINITY);
        if (affinity != null && !affinity.isBlank()) {
            return "affinity " + affinity.strip();
        }
        String host = head.headers().get(HttpHeaderNames.HOST);
        String primary = CacheKey.primary(host, head.uri());
        return primary != null ? primary : host + " " + head.uri();
    }
}
