package yunjing.proxy.llm;

import org.junit.jupiter.api.Test;
import yunjing.proxy.ApiPlan;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An edge's tokens per minute through the key's owner: reported, and refused while the owner says so. */
class SharedBudgetTokensTest {

    /** 100 requests per minute (slices of 10), 1000 tokens per minute (reports at 100). */
    private static final ApiPlan TPM_1000 = new ApiPlan("p", 50, 100, 10_000, 1_000, 1);

    @Test
    void tokensGoWithTheNextLeaseRequest_orOnTheirOwnAtATenthOfThePlan() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 2, clock, null);
        assertTrue(budget.take("k", TPM_1000).admitted());
        budget.spendTokens("k", TPM_1000, 30);   // a lease request is on its way: kept for the next
        assertEquals(30, budget.tokensUnreported("k"));
        owner.answer(10, 0);
        assertEquals(1, owner.asks.size());
        assertEquals(0, owner.asks.getFirst().tokens());
        assertEquals(1_000, owner.asks.getFirst().tokensPerMinute());
        budget.spendTokens("k", TPM_1000, 60);   // 90 < 100, and the last request is under a second old
        assertEquals(1, owner.asks.size());
        budget.spendTokens("k", TPM_1000, 10);   // 100: a tenth of the plan
        assertEquals(2, owner.asks.size());
        LeaseMessages.Ask report = owner.asks.getLast();
        assertEquals(100, report.tokens());
        assertEquals(0, report.want(), "10 requests left of the slice: no need of more");
        budget.spendTokens("k", TPM_1000, 5);   // charged while the report is on its way
        owner.answer(0, 0);
        assertEquals(5, budget.tokensUnreported("k"), "what was reported is off the books, the rest waits");
        assertEquals(10, budget.sliceLeft("k"), "a report changes nothing of the slice");
        assertTrue(budget.take("k", TPM_1000).admitted());
    }

    @Test
    void tokensWaitAtMostASecond_thenTheTimerReportsThem() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 2, clock, null);
        budget.take("k", TPM_1000);
        owner.answer(10, 0);
        budget.spendTokens("k", TPM_1000, 7);
        budget.reportDue();
        assertEquals(1, owner.asks.size(), "not yet due");
        clock.advance(Duration.ofMillis(SharedBudget.REPORT_MILLIS));
        budget.reportDue();
        assertEquals(2, owner.asks.size());
        assertEquals(7, owner.asks.getLast().tokens());
        budget.reportDue();
        assertEquals(2, owner.asks.size(), "one request in flight per key");
        owner.answer(0, 0);
        clock.advance(Duration.ofMillis(SharedBudget.REPORT_MILLIS));
        budget.reportDue();
        assertEquals(2, owner.asks.size(), "nothing left to report");
    }

    @Test
    void whileTheOwnerSaysTheTokensAreSpent_theKeyIsRefusedUntilItsRetryAfter() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 2, clock, null);
        budget.take("k", TPM_1000);
        owner.answer(10, 0);
        assertTrue(budget.tokensVerdict("k").admitted());
        budget.spendTokens("k", TPM_1000, 400);
        owner.answer(0, 12);   // other edges spent the rest
        SharedBudget.Verdict refused = budget.tokensVerdict("k");
        assertEquals("tpm", refused.reason());
        assertEquals(12, refused.retryAfterSeconds());
        clock.advance(Duration.ofSeconds(5));
        assertEquals(7, budget.tokensVerdict("k").retryAfterSeconds());
        clock.advance(Duration.ofSeconds(7));
        assertTrue(budget.tokensVerdict("k").admitted(), "the debt is paid");
        assertTrue(budget.tokensVerdict("unknown").admitted());
    }

    @Test
    void countingAlone_theEdgesBucketHoldsItsShareOfTheTokens_andReportsNothing() {
        HeldLeaseTransport owner = new HeldLeaseTransport();
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        SharedBudget budget = new SharedBudget(owner, 4, clock, null);
        assertEquals(1_000, budget.tokensPerMinuteHere("k", TPM_1000));
        budget.take("k", TPM_1000);
        owner.answers.getLast().completeExceptionally(new ConnectException("Connection refused"));
        assertEquals(250, budget.tokensPerMinuteHere("k", TPM_1000), "a quarter, four edges");
        budget.spendTokens("k", TPM_1000, 500);
        assertEquals(0, budget.tokensUnreported("k"), "tokens counted alone are never reported");
        clock.advance(Duration.ofMillis(SharedBudget.FALLBACK_MILLIS));
        assertEquals(1_000, budget.tokensPerMinuteHere("k", TPM_1000));
        assertEquals(0, budget.tokensPerMinuteHere("k", new ApiPlan("p", 50, 100, 10_000, 0, 1)));
    }

    @Test
    void twoEdgesReportingToOneLedger_spendThePlansTokensOnce() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger ledger = new BudgetLedger(clock);
        LeaseTransport direct = ask -> CompletableFuture.completedFuture(ledger.grant(ask));
        SharedBudget a = new SharedBudget(direct, 2, clock, null);
        SharedBudget b = new SharedBudget(direct, 2, clock, null);
        int spent = 0;
        for (int i = 0; i < 40 && a.tokensVerdict("k").admitted() && b.tokensVerdict("k").admitted(); i++) {
            SharedBudget edge = i % 2 == 0 ? a : b;
            assertTrue(edge.take("k", TPM_1000).admitted());
            edge.spendTokens("k", TPM_1000, 100);   // each answer 100 tokens: reported at once
            spent += 100;
        }
        assertEquals(1_000, spent, "refused on both edges once the owner's 1000 are spent, not 2 x 1000");
        assertEquals("tpm", b.tokensVerdict("k").reason(), "b reported the last 100");
        assertTrue(a.tokensVerdict("k").admitted(), "a learns it only with its next report");
        assertTrue(a.take("k", TPM_1000).admitted());
        a.spendTokens("k", TPM_1000, 100);
        assertEquals("tpm", a.tokensVerdict("k").reason(), "the overshoot: what a admitted before that report");
    }
}
