package yunjing.deploy.run;

import yunjing.deploy.topology.ApiKey;
import yunjing.deploy.topology.Plan;
import yunjing.deploy.topology.Topology;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.ApiKeyEntry;
import yunjing.proxy.ApiPlan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The topology's plans and key hashes as the proxy's {@link ApiAccess}; no keys means open access. */
final class ApiAccessMapping {
    private ApiAccessMapping() {
    }

    static ApiAccess of(Topology topology) {
        if (topology.keys().isEmpty()) {
            return ApiAccess.OPEN;
        }
        Map<String, ApiPlan> plans = new LinkedHashMap<>();
        for (Plan p : topology.plans().values()) {
            plans.put(p.name(), new ApiPlan(p.name(), p.concurrent(), p.requestsPerMinute(), p.requestsPerDay(),
                    p.tokensPerMinute(), p.priority(), p.answerCache()));
        }
        List<ApiKeyEntry> keys = topology.keys().stream()
                .map((ApiKey k) -> new ApiKeyEntry(k.id(), k.plan(), k.sha256(), k.tenant())).toList();
        return new ApiAccess(plans, keys);
    }
}
