package yunjing.deploy.run;

import yunjing.deploy.admin.CacheOperations;
import yunjing.proxy.CacheStats;
import yunjing.proxy.ProxyServer;
import yunjing.proxy.WarmResult;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The admin port's cache operations on one proxy node. */
final class ProxyCacheOperations implements CacheOperations {
    private final ProxyServer proxy;

    ProxyCacheOperations(ProxyServer proxy) {
        this.proxy = proxy;
    }

    @Override
    public int purge(String url) {
        return proxy.purge(url);
    }

    @Override
    public int purgePrefix(String hostAndPathPrefix) {
        return proxy.purgePrefix(hostAndPathPrefix);
    }

    @Override
    public int purgeDigest(String sha256) {
        return proxy.purgeDigest(sha256);
    }

    /** Every component of {@link CacheStats}, by name, so new counters show up without a change here. */
    @Override
    public Map<String, Object> stats() {
        CacheStats stats = proxy.cacheStats();
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent component : CacheStats.class.getRecordComponents()) {
            try {
                out.put(component.getName(), component.getAccessor().invoke(stats));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    @Override
    public CompletableFuture<List<Map<String, Object>>> warm(List<String> urls) {
        return proxy.warm(urls).thenApply(results -> results.stream().map(ProxyCacheOperations::asMap).toList());
    }

    private static Map<String, Object> asMap(WarmResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("url", r.url());
        out.put("status", r.status());
        out.put("bytes", r.bytes());
        out.put("cache_status", r.cacheStatus());
        out.put("cached", r.cached());
        out.put("error", r.error());
        return out;
    }
}
