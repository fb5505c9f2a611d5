package yunjing.proxy.llm;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.ApiKeyEntry;
import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiGateTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static ApiAccess access(ApiPlan plan, String id, String secret) {
        return new ApiAccess(Map.of(plan.name(), plan),
                List.of(new ApiKeyEntry(id, plan.name(), ApiAccess.sha256Hex(secret))));
    }

    private ApiGate gate(ApiAccess access, Clock clock) {
        return new ApiGate(access, clock, new ProxyMetrics(registry, "test"));
    }

    @Test
    void requestsPerDay_resetAtShanghaiMidnight_withRetryAfterUntilThen() {
        LeaseClock clock = new LeaseClock("2026-11-22T15:59:00Z");   // 23:59 in Shanghai
        ApiGate gate = gate(access(new ApiPlan("free", 5, 1000, 2, 0, 1), "k1", "sk-a"), clock);
        for (int i = 0; i < 2; i++) {
            ApiGate.Admission ok = gate.admit("Bearer sk-a");
            assertNotNull(ok.lease(), "request " + i);
            ok.lease().release();
        }
        Rejection third = gate.admit("Bearer sk-a").rejection();
        assertNotNull(third);
        assertEquals("rpd", third.reason());
        assertEquals(60, third.retryAfterSeconds());
        assertTrue(third.message().contains("free plan allows 2 requests per day"), third.message());

        clock.advance(Duration.ofSeconds(61));   // 00:00:01 next day in Shanghai
        assertNotNull(gate.admit("Bearer sk-a").lease());
        assertEquals(1, registry.counter("yunjing.proxy.api.rejected", "node", "test", "reason", "rpd").count());
    }

    @Test
    void lease_releasedTwice_freesOneSlot() {
        ApiGate gate = gate(access(new ApiPlan("p", 1, 1000, 1000, 0, 0), "k1", "sk-a"), Clock.systemUTC());
        ApiGate.Lease lease = gate.admit("Bearer sk-a").lease();
        assertEquals("concurrency", gate.admit("Bearer sk-a").rejection().reason());
        lease.release();
        lease.release();
        assertEquals(0, gate.inFlight("k1"));
        ApiGate.Lease second = gate.admit("Bearer sk-a").lease();
        assertNotNull(second);
        assertEquals("concurrency", gate.admit("Bearer sk-a").rejection().reason(), "only one slot was freed");
    }

    @Test
    void refusalOfLaterLimit_doesNotHoldSlotOrToken() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        ApiGate gate = gate(access(new ApiPlan("p", 5, 2, 1000, 0, 0), "k1", "sk-a"), clock);
        gate.admit("Bearer sk-a").lease().release();
        gate.admit("Bearer sk-a").lease().release();
        Rejection rpm = gate.admit("Bearer sk-a").rejection();
        assertEquals("rpm", rpm.reason());
        assertEquals(30, rpm.retryAfterSeconds(), "2/min: a token every 30 s");
        assertEquals(0, gate.inFlight("k1"));
    }

    @Test
    void bearer_malformedOrUnknown_isInvalidKey_absentIsMissingKey() {
        ApiGate gate = gate(access(new ApiPlan("p", 5, 100, 100, 0, 0), "k1", "sk-a"), Clock.systemUTC());
        assertEquals("missing_api_key", gate.admit(null).rejection().code());
        assertEquals("invalid_api_key", gate.admit("Basic c2stYQ==").rejection().code());
        assertEquals("invalid_api_key", gate.admit("Bearer").rejection().code());
        assertEquals("invalid_api_key", gate.admit("Bearer sk-b").rejection().code());
        assertNull(gate.admit("bearer  sk-a ").rejection(), "scheme is case-insensitive (RFC 7235 §2.1)");
    }

    @Test
    void update_keepsCountersOfRemainingKeys() {
        ApiPlan plan = new ApiPlan("p", 1, 100, 100, 0, 0);
        ApiGate gate = gate(access(plan, "k1", "sk-a"), Clock.systemUTC());
        ApiGate.Lease held = gate.admit("Bearer sk-a").lease();
        gate.update(access(plan, "k1", "sk-rotated"));
        assertEquals("invalid_api_key", gate.admit("Bearer sk-a").rejection().code());
        assertEquals("concurrency", gate.admit("Bearer sk-rotated").rejection().reason(),
                "the slot taken before the reload still counts");
        held.release();
        assertNotNull(gate.admit("Bearer sk-rotated").lease());
    }

    @Test
    void keyEntry_upperCaseHash_isStoredLowerCase() {
        String hash = ApiAccess.sha256Hex("sk-a");
        assertEquals(hash, new ApiKeyEntry("k1", "p", hash.toUpperCase(java.util.Locale.ROOT)).sha256Hex());
        assertThrows(IllegalArgumentException.class, () -> new ApiKeyEntry("k1", "p", "abc"));
    }

    @Test
    void apiAccess_rejectsKeyOfUnknownPlan() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ApiAccess(Map.of(),
                List.of(new ApiKeyEntry("k1", "gold", ApiAccess.sha256Hex("x")))));
        assertTrue(e.getMessage().contains("unknown plan 'gold'"), e.getMessage());
    }

    @Test
    void tokensPerMinute_refuseOnceTheReportedUsageSpentTheBudget_untilTheRefill() {
        LeaseClock clock = new LeaseClock("2026-11-22T08:00:00Z");
        ApiGate gate = gate(access(new ApiPlan("tiny", 5, 1000, 1000, 600, 1), "k1", "sk-a"), clock);
        ApiGate.Lease first = gate.admit("Bearer sk-a").lease();
        assertNotNull(first);
        first.spend(900);   // 300 over the 600 a minute (10 a second)
        first.release();
        Rejection refused = gate.admit("Bearer sk-a").rejection();
        assertNotNull(refused);
        assertEquals("tpm", refused.reason());
        assertEquals(31, refused.retryAfterSeconds());   // 301 tokens at 10 a second
        assertTrue(refused.message().contains("600 tokens per minute"), refused.message());
        clock.advance(Duration.ofSeconds(31));
        assertNotNull(gate.admit("Bearer sk-a").lease());
        assertEquals(1, registry.counter("yunjing.proxy.api.rejected", "node", "test", "reason", "tpm").count());
    }

    @Test
    void tokensPerMinuteZero_isUnlimited() {
        LeaseClock clock = new LeaseClock("2026-11-22T08:00:00Z");
        ApiGate gate = gate(access(new ApiPlan("open", 5, 1000, 1000, 0, 1), "k1", "sk-a"), clock);
        ApiGate.Lease lease = gate.admit("Bearer sk-a").lease();
        lease.spend(1_000_000);
        lease.release();
        assertNotNull(gate.admit("Bearer sk-a").lease());
    }
}
