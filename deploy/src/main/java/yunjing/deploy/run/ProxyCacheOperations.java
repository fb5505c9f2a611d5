package yunjing.deploy.run;

import yunjing.deploy.admin.CacheOperations;
import yunjing.proxy.CacheStats;
import yunjing.proxy.ProxyServer;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;

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
}
