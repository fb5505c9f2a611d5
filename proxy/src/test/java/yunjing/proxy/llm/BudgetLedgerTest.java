package yunjing.proxy.llm;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetLedgerTest {

    private static LeaseMessages.Ask ask(String key, int rpm, int rpd, int want, int used, int returned) {
        return new LeaseMessages.Ask(key, rpm, rpd, want, used, returned);
    }

    @Test
    void grantsSlicesUntilTheMinuteIsSpent_thenRefusesWithTheWaitForOneRequest() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger ledger = new BudgetLedger(clock);
        int granted = 0;
        for (int i = 0; i < 6; i++) {
            granted += ledger.grant(ask("k", 60, 1000, 10, 0, 0)).granted();
        }
        assertEquals(60, granted, "six slices of ten are the minute's 60 requests");
        LeaseMessages.Grant none = ledger.grant(ask("k", 60, 1000, 10, 0, 0));
        assertEquals(0, none.granted());
        assertEquals("rpm", none.reason());
        assertEquals(1, none.retryAfterSeconds(), "60 per minute: one more request in a second");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(5, ledger.grant(ask("k", 60, 1000, 10, 0, 0)).granted(), "five seconds refill five");
        assertEquals(ledger.countedToday("k"), 65);
    }

    @Test
    void keysHaveBudgetsOfTheirOwn() {
        BudgetLedger ledger = new BudgetLedger(new LeaseClock("2026-11-22T10:00:00Z"));
        assertEquals(10, ledger.grant(ask("a", 10, 1000, 10, 0, 0)).granted());
        assertEquals(0, ledger.grant(ask("a", 10, 1000, 1, 0, 0)).granted());
        assertEquals(10, ledger.grant(ask("b", 10, 1000, 10, 0, 0)).granted());
    }

    @Test
    void usedOnCreditIsChargedAsDebt_andReturnedRequestsComeBack() {
        LeaseClock clock = new LeaseClock("2026-11-22T10:00:00Z");
        BudgetLedger ledger = new BudgetLedger(clock);
        assertEquals(20, ledger.grant(ask("k", 60, 1000, 20, 0, 0)).granted());
        // 50 admitted on credit: the minute (40 left) is 10 in debt.
        LeaseMessages.Grant debt = ledger.grant(ask("k", 60, 1000, 10, 50, 0));
        assertEquals(0, debt.granted());
        assertEquals(11, debt.retryAfterSeconds(), "a debt of 10 and one more request at one per second");
        assertEquals(70, ledger.countedToday("k"));
        // 15 of the first slice were never spent: given back, they pay the debt and leave 5.
        assertEquals(5, ledger.grant(ask("k", 60, 1000, 10, 0, 15)).granted());
        assertEquals(60, ledger.countedToday("k"));
    }

    @Test
    void theDayQuotaEndsGrantsUntilMidnightInShanghai_thenResets() {
        LeaseClock clock = new LeaseClock("2026-11-22T15:59:00Z");   // 23:59 in Shanghai
        BudgetLedger ledger = new BudgetLedger(clock);
        assertEquals(3, ledger.grant(ask("k", 600, 3, 10, 0, 0)).granted(), "capped by the day's 3");
        LeaseMessages.Grant none = ledger.grant(ask("k", 600, 3, 10, 0, 0));
        assertEquals("rpd", none.reason());
        assertEquals(60, none.retryAfterSeconds());
        clock.advance(Duration.ofSeconds(60));
        assertEquals(3, ledger.grant(ask("k", 600, 3, 10, 0, 0)).granted(), "a new day");
    }

    @Test
    void handleSpeaksJson_andRefusesBadRequestsWithAReason() {
        BudgetLedger ledger = new BudgetLedger(new LeaseClock("2026-11-22T10:00:00Z"));
        LeaseMessages.Grant grant = LeaseMessages.Grant.parse(
                ledger.handle(ask("k", 100, 1000, 10, 0, 0).toJson()));
        assertEquals(10, grant.granted());
        assertEquals(BudgetLedger.SLICE_TTL_MILLIS, grant.ttlMillis());
        assertNull(grant.reason());
        IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class, () -> ledger.handle("{"));
        assertTrue(notJson.getMessage().startsWith("not JSON"), notJson.getMessage());
        IllegalArgumentException noWant = assertThrows(IllegalArgumentException.class, () -> ledger.handle(
                "{\"key_id\":\"k\",\"requests_per_minute\":10,\"requests_per_day\":10,\"want\":0,\"used\":0,\"returned\":0}"));
        assertTrue(noWant.getMessage().startsWith("want: 0"), noWant.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ledger.handle(
                "{\"key_id\":\"\",\"requests_per_minute\":10,\"requests_per_day\":10,\"want\":1,\"used\":0,\"returned\":0}"));
        assertThrows(IllegalArgumentException.class, () -> ledger.handle("[1]"));
        assertThrows(IllegalArgumentException.class, () -> ledger.handle(
                "{\"key_id\":\"k\",\"requests_per_minute\":1.5,\"requests_per_day\":10,\"want\":1,\"used\":0,\"returned\":0}"));
    }
}
