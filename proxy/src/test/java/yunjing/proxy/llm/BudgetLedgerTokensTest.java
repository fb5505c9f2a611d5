package yunjing.proxy.llm;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The owner's tokens per minute: the tokens edges report are charged to one bucket per key. */
class BudgetLedgerTokensTest {

    private static LeaseMessages.Ask report(String key, int want, int tokens, int tpm) {
        return new LeaseMessages.Ask(key, 600, 10_000, want, 0, 0, tokens, tpm);
    }

    @Test
    void reportedTokensAreCharged_andTheAnswerSaysWhenTheirDebtIsPaid() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger ledger = new BudgetLedger(clock);
        assertEquals(0, ledger.grant(report("k", 0, 500, 600)).tokensRetryAfterSeconds(), "500 of 600");
        assertEquals(0, ledger.grant(report("k", 0, 99, 600)).tokensRetryAfterSeconds(), "1 left");
        LeaseMessages.Grant spent = ledger.grant(report("k", 0, 61, 600));   // 60 in debt
        assertEquals(7, spent.tokensRetryAfterSeconds(), "61 tokens to refill at 10 per second");
        clock.advance(Duration.ofSeconds(3));
        assertEquals(4, ledger.grant(report("k", 0, 0, 600)).tokensRetryAfterSeconds());
        clock.advance(Duration.ofSeconds(4));
        assertEquals(0, ledger.grant(report("k", 0, 0, 600)).tokensRetryAfterSeconds(), "paid back");
        assertEquals(0, ledger.grant(report("other", 0, 599, 600)).tokensRetryAfterSeconds(),
                "each key its own bucket");
    }

    @Test
    void aReportOfTokensAsksForNoRequests_andTokensDoNotTouchTheRequestBudgets() {
        BudgetLedger ledger = new BudgetLedger(new LeaseClock("2026-11-22T10:00:00Z"));
        LeaseMessages.Grant report = ledger.grant(report("k", 0, 10, 100));
        assertEquals(0, report.granted());
        assertNull(report.reason(), "not a refusal");
        assertEquals(0, ledger.countedToday("k"));
        LeaseMessages.Grant slice = ledger.grant(report("k", 10, 1_000, 100));
        assertEquals(10, slice.granted(), "requests are granted while tokens are in debt: the edge refuses");
        assertTrue(slice.tokensRetryAfterSeconds() > 0);
    }

    @Test
    void theJsonCarriesTokens_andOlderMessagesWithoutThemStillParse() {
        BudgetLedger ledger = new BudgetLedger(new LeaseClock("2026-11-22T10:00:00Z"));
        LeaseMessages.Ask ask = report("k", 0, 700, 600);
        assertEquals(ask, LeaseMessages.Ask.parse(ask.toJson()));
        assertEquals("{\"granted\":0,\"ttl_ms\":5000,\"retry_after_s\":0,\"tokens_retry_after_s\":11}",
                ledger.handle(ask.toJson()));
        LeaseMessages.Ask old = LeaseMessages.Ask.parse("{\"key_id\":\"k\",\"requests_per_minute\":10,"
                + "\"requests_per_day\":10,\"want\":1,\"used\":0,\"returned\":0}");
        assertEquals(0, old.tokens());
        assertEquals(0, old.tokensPerMinute());
        LeaseMessages.Grant oldGrant = LeaseMessages.Grant.parse("{\"granted\":3,\"ttl_ms\":5000,\"retry_after_s\":0}");
        assertEquals(0, oldGrant.tokensRetryAfterSeconds());
        LeaseMessages.Grant reported = LeaseMessages.Grant.parse(
                "{\"granted\":0,\"ttl_ms\":5000,\"retry_after_s\":0,\"tokens_retry_after_s\":11}");
        assertEquals(new LeaseMessages.Grant(0, 5_000, 0, null, 11), reported);
    }

    @Test
    void badTokenFieldsAreRefusedWithTheirName() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> LeaseMessages.Ask.parse(
                "{\"key_id\":\"k\",\"requests_per_minute\":10,\"requests_per_day\":10,\"want\":1,\"used\":0,"
                        + "\"returned\":0,\"tokens\":-1,\"tokens_per_minute\":10}"));
        assertTrue(negative.getMessage().startsWith("tokens: -1"), negative.getMessage());
        IllegalArgumentException noWant = assertThrows(IllegalArgumentException.class, () -> LeaseMessages.Ask.parse(
                "{\"key_id\":\"k\",\"requests_per_minute\":10,\"requests_per_day\":10,\"want\":0,\"used\":0,"
                        + "\"returned\":0,\"tokens\":5,\"tokens_per_minute\":0}"));
        assertTrue(noWant.getMessage().startsWith("want: 0"), "want 0 only in a report of tokens per minute");
        assertThrows(IllegalArgumentException.class, () -> LeaseMessages.Grant.parse(
                "{\"granted\":0,\"ttl_ms\":5000,\"retry_after_s\":0,\"tokens_retry_after_s\":-2}"));
        assertThrows(IllegalArgumentException.class, () -> LeaseMessages.Grant.parse(
                "{\"granted\":0,\"ttl_ms\":5000,\"retry_after_s\":0,\"reason\":\"tpm\"}"));
    }
}
