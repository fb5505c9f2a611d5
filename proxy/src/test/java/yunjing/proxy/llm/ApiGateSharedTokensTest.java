package yunjing.proxy.llm;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.ApiKeyEntry;
import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ApiGate}'s tokens per minute with a {@link SharedBudget}: two edges on one owner's ledger. */
class ApiGateSharedTokensTest {

    private static final ApiPlan PLAN = new ApiPlan("tiny", 5, 600, 10_000, 300, 1);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ApiGate edge(LeaseClock clock, LeaseTransport transport, String node) {
        ApiGate gate = new ApiGate(new ApiAccess(Map.of(PLAN.name(), PLAN),
                List.of(new ApiKeyEntry("k1", PLAN.name(), ApiAccess.sha256Hex("sk-a")))), clock,
                new ProxyMetrics(registry, node));
        gate.share(new SharedBudget(transport, 2, clock, new ProxyMetrics(registry, node)));
        return gate;
    }

    /** Admits, charges {@code tokens} as an answer would, and releases; false when refused. */
    private static boolean answer(ApiGate gate, long tokens) {
        ApiGate.Admission a = gate.admit("Bearer sk-a");
        if (a.lease() == null) {
            return false;
        }
        a.lease().spend(tokens);
        a.lease().release();
        return true;
    }

    @Test
    void twoEdgesSpendThePlansTokensOnce_thenBothAnswer429Tpm() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger owner = new BudgetLedger(clock);
        LeaseTransport direct = ask -> CompletableFuture.completedFuture(owner.grant(ask));
        ApiGate a = edge(clock, direct, "a");
        ApiGate b = edge(clock, direct, "b");
        int tokens = 0;
        for (int i = 0; i < 40; i++) {
            if (answer(i % 2 == 0 ? a : b, 40)) {
                tokens += 40;
            }
        }
        // 300 per minute: the owner is in debt after 320; each edge learns it with its next report (here at
        // once, each answer's 40 tokens being over a tenth of the plan), so at most one more answer each.
        assertTrue(tokens >= 300 && tokens <= 320 + 2 * 40, "tokens admitted across both edges: " + tokens);
        for (ApiGate edge : new ApiGate[] {a, b}) {
            Rejection refused = edge.admit("Bearer sk-a").rejection();
            assertNotNull(refused);
            assertEquals("tpm", refused.reason());
            assertTrue(refused.retryAfterSeconds() >= 1 && refused.retryAfterSeconds() <= 60);
            assertTrue(refused.message().contains("300 tokens per minute"), refused.message());
        }
        clock.advance(Duration.ofMinutes(1));
        assertTrue(answer(a, 1), "the debt paid back");
    }

    @Test
    void withTheOwnerUnreachable_anEdgeCountsTokensAloneWithItsShare() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        ApiGate a = edge(clock, ask -> CompletableFuture.failedFuture(new ConnectException("refused")), "a");
        assertTrue(answer(a, 150), "the edge's 150 (half of 300, two edges)");
        Rejection refused = a.admit("Bearer sk-a").rejection();
        assertNotNull(refused);
        assertEquals("tpm", refused.reason(), "none left: the next token needs the refill");
    }
}
