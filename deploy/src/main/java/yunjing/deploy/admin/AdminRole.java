package yunjing.deploy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Map;
import java.util.function.Supplier;

/**
 * What the admin port of one role serves from.
 *
 * @param readiness the role's own readiness, before draining is applied
 * @param cache     cache operations, or null for roles without a cache
 * @param endpoints the role's own token-guarded POST operations by path, e.g. the DNS's {@code /rtt}
 */
public record AdminRole(String nodeId, PrometheusMeterRegistry registry, Supplier<Readiness> readiness,
                        CacheOperations cache, DrainSwitch drain, Map<String, AdminEndpoint> endpoints) {

    public AdminRole {
        endpoints = Map.copyOf(endpoints);
    }

    /** A role without operations of its own. */
    public AdminRole(String nodeId, PrometheusMeterRegistry registry, Supplier<Readiness> readiness,
                     CacheOperations cache, DrainSwitch drain) {
        this(nodeId, registry, readiness, cache, drain, Map.of());
    }

    /** Readiness as served: a draining role is not ready, whatever it could do. */
    public Readiness currentReadiness() {
        if (drain.isDraining()) {
            return new Readiness(false, "draining (yunjing undrain " + nodeId + " to resume)", true);
        }
        return readiness.get();
    }
}
