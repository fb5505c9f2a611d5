package yunjing.proxy.llm;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import yunjing.proxy.ApiPlan;
import yunjing.proxy.metrics.ProxyMetrics;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedBudgetTest {

    private static final ApiPlan RPM_100 = new ApiPlan("p", 50, 100, 10_000, 0, 1);   // slices of 10

    private static int admitted(SharedBudget budget, String key, ApiPlan plan, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            n += budget.take(key, plan).admitted() ? 1 : 0;
        }
        return n;
    }

    @Test
    void aNewKeyIsAdmittedOnCreditForOneSliceWhileTheFirstLeaseIsOnItsWay_andTheCreditIsReported() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        SharedBudget budget = new SharedBudget(owner, 2, new LeaseClock("2026-11-22T10:00:00Z"), null);
        assertEquals(10, admitted(budget, "k", RPM_100, 15), "one slice on credit, no more");
        assertEquals(1, owner.asks.size(), "one lease request in flight at a time");
        assertEquals(new LeaseMessages.Ask("k", 100, 10_000, 10, 1, 0), owner.asks.getFirst(),
                "the request that made the edge ask is reported with the ask");
        SharedBudget.Verdict refused = budget.take("k", RPM_100);
        assertEquals("rpm", refused.reason());
        assertEquals(1, refused.retryAfterSeconds());

        owner.grant(10);
        assertEquals(10, budget.sliceLeft("k"));
        assertEquals(4, admitted(budget, "k", RPM_100, 4));
        assertEquals(1, owner.asks.size(), "6 left: not yet low");
        assertEquals(1, admitted(budget, "k", RPM_100, 1));
        assertEquals(2, owner.asks.size(), "5 left (half the slice): the next slice is asked for early");
        assertEquals(new LeaseMessages.Ask("k", 100, 10_000, 10, 9, 0), owner.asks.get(1),
                "the other nine admitted on credit are reported");
        owner.grant(10);
        assertEquals(15, budget.sliceLeft("k"));
    }

    @Test
    void whenTheOwnerHasNothingLeft_requestsAreRefusedUntilItsRetryAfter() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 2, clock, null);
        admitted(budget, "k", RPM_100, 10);
        owner.answers.getLast().complete(new LeaseMessages.Grant(0, 5_000, 7, "rpm"));
        SharedBudget.Verdict refused = budget.take("k", RPM_100);
        assertEquals("rpm", refused.reason());
        assertEquals(7, refused.retryAfterSeconds());
        clock.advance(Duration.ofSeconds(3));
        assertEquals(4, budget.take("k", RPM_100).retryAfterSeconds());
        clock.advance(Duration.ofSeconds(4));
        assertTrue(budget.take("k", RPM_100).admitted(), "after the wait: one more on credit, and asking again");
        assertEquals(2, owner.asks.size());
        assertEquals(10, owner.asks.getLast().used(), "nine earlier ones and this one");
        assertFalse(budget.take("k", RPM_100).admitted(), "a slice on credit unreported: no more");
        owner.grant(3);
        assertEquals(3, admitted(budget, "k", RPM_100, 3));
    }

    @Test
    void anExpiredSliceIsGivenBackInTheNextRequest() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 2, clock, null);
        budget.take("k", RPM_100);
        owner.grant(10);
        admitted(budget, "k", RPM_100, 4);   // 6 left, not yet asking
        clock.advance(Duration.ofSeconds(6));
        assertTrue(budget.take("k", RPM_100).admitted(), "on credit");
        assertEquals(0, budget.sliceLeft("k"));
        assertEquals(new LeaseMessages.Ask("k", 100, 10_000, 10, 1, 6), owner.asks.getLast(),
                "the first request's credit was reported before; this one is, with the six unspent");
    }

    @Test
    void whenTheOwnerCannotBeAsked_theEdgeCountsAloneWithItsShare_thenAsksAgain() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SharedBudget budget = new SharedBudget(owner, 4, clock, new ProxyMetrics(registry, "e1"));
        assertTrue(budget.take("k", RPM_100).admitted());
        owner.answers.getLast().completeExceptionally(new ConnectException("Connection refused"));
        assertTrue(budget.fallingBack("k"));
        assertEquals(1.0, registry.get("yunjing.proxy.api.leases").tag("result", "failed").counter().count());
        assertEquals(25, admitted(budget, "k", RPM_100, 40), "a quarter of 100 per minute, four edges");
        assertEquals(1, owner.asks.size(), "no requests to the owner while counting alone");
        clock.advance(Duration.ofMillis(SharedBudget.FALLBACK_MILLIS));
        assertFalse(budget.fallingBack("k"));
        assertTrue(budget.take("k", RPM_100).admitted());
        assertEquals(2, owner.asks.size(), "asking again");
        assertEquals(1, owner.asks.getLast().used(), "this request only: what was admitted alone is never reported");
    }

    @Test
    void aTransportThatThrows_isAFailureToo() {
        LeaseTransport broken = ask -> {
            throw new IllegalStateException(new IOException("no route"));
        };
        SharedBudget budget = new SharedBudget(broken, 1, new LeaseClock("2026-11-22T10:00:00Z"), null);
        assertTrue(budget.take("k", RPM_100).admitted());
        assertTrue(budget.fallingBack("k"));
    }

    @Test
    void twoEdgesLeasingFromOneLedger_admitTheMinutesBudgetWithinTheStatedTolerance() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger ledger = new BudgetLedger(clock);
        LeaseTransport direct = ask -> CompletableFuture.completedFuture(ledger.grant(ask));
        SharedBudget a = new SharedBudget(direct, 2, clock, null);
        SharedBudget b = new SharedBudget(direct, 2, clock, null);
        int total = 0;
        for (int i = 0; i < 200; i++) {
            total += (i % 2 == 0 ? a : b).take("k", RPM_100).admitted() ? 1 : 0;
            clock.advance(Duration.ofMillis(10));   // two seconds in all: about 3 requests of refill
        }
        int slice = SharedBudget.sliceSize(RPM_100);
        assertTrue(total >= 100 - 2 * slice && total <= 100 + 4 + 2 * 2 * slice, "admitted " + total);
        assertTrue(ledger.countedToday("k") >= total, "the owner counted every admitted request");
    }
}
