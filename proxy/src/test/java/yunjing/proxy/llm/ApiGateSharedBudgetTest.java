package yunjing.proxy.llm;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.ApiKeyEntry;
import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ApiGate} with a {@link SharedBudget}: two gates (two edges) on one owner's ledger. */
class ApiGateSharedBudgetTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ApiGate edge(ApiPlan plan, LeaseClock clock, BudgetLedger owner, String node) {
        ApiGate gate = new ApiGate(new ApiAccess(Map.of(plan.name(), plan),
                List.of(new ApiKeyEntry("k1", plan.name(), ApiAccess.sha256Hex("sk-a")))), clock,
                new ProxyMetrics(registry, node));
        gate.share(new SharedBudget(ask -> CompletableFuture.completedFuture(owner.grant(ask)), 2, clock,
                new ProxyMetrics(registry, node)));
        return gate;
    }

    private static int admitted(ApiGate gate, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            ApiGate.Admission a = gate.admit("Bearer sk-a");
            if (a.lease() != null) {
                a.lease().release();
                n++;
            }
        }
        return n;
    }

    @Test
    void theDayQuotaHoldsAcrossTwoEdges_withTheOwnersRetryAfterAndThePlansMessage() {
        LeaseClock clock = new LeaseClock("2026-11-22T15:00:00Z");   // 23:00 in Shanghai
        BudgetLedger owner = new BudgetLedger(clock);
        ApiPlan plan = new ApiPlan("free", 5, 1000, 30, 0, 1);   // a day of 30: slices of 3
        ApiGate a = edge(plan, clock, owner, "a");
        ApiGate b = edge(plan, clock, owner, "b");
        int total = admitted(a, 20) + admitted(b, 20);
        int slice = SharedBudget.sliceSize(plan);
        assertEquals(3, slice);
        assertTrue(total >= 30 - slice && total <= 30, "the day's 30 once for both edges, less what a holds: " + total);
        Rejection refused = b.admit("Bearer sk-a").rejection();
        assertNotNull(refused);
        assertEquals("rpd", refused.reason());
        assertEquals(3600, refused.retryAfterSeconds());
        assertTrue(refused.message().contains("free plan allows 30 requests per day"), refused.message());
        clock.advance(Duration.ofHours(1));
        assertEquals(5, admitted(a, 5), "a new day in Shanghai");
    }

    @Test
    void aRequestRefusedForTokensSpendsNoLeasedRequest() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger owner = new BudgetLedger(clock);
        ApiGate a = edge(new ApiPlan("tpm", 5, 10, 1000, 100, 1), clock, owner, "a");
        ApiGate.Admission first = a.admit("Bearer sk-a");
        first.lease().spend(1000);   // deep in token debt
        first.lease().release();
        long counted = owner.countedToday("k1");   // the request, and the next slice already asked for
        for (int i = 0; i < 5; i++) {
            assertEquals("tpm", a.admit("Bearer sk-a").rejection().reason());
        }
        assertEquals(counted, owner.countedToday("k1"), "refused for tokens: no leased request spent or asked for");
        clock.advance(Duration.ofMinutes(10));   // the token debt paid back
        assertNotNull(a.admit("Bearer sk-a").lease(), "admitted again once the token debt is paid back");
    }
}
