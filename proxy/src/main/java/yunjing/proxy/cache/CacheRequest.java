package yunjing.proxy.cache;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A request the cache handles: the head as it would go upstream (Host, Via, Forwarded already set), its
 * primary key and its Cache-Control. The head's headers are not modified by the cache.
 */
record CacheRequest(HttpRequest head, String primaryKey, CacheControl cacheControl) {

    boolean isHead() {
        return HttpMethod.HEAD.equals(head.method());
    }

    String secondaryKey(java.util.List<String> varyNames) {
        return CacheKey.secondary(primaryKey, varyNames, head.headers());
    }
}
