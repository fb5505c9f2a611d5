package yunjing.proxy.llm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {

    @Test
    void startsFull_thenRefusesWithTheWaitForOneToken() {
        TokenBucket bucket = new TokenBucket();
        for (int i = 0; i < 3; i++) {
            assertEquals(0, bucket.tryTake(1_000, 3), "token " + i);
        }
        // 3 per minute: one token every 20 s.
        assertEquals(20_000, bucket.tryTake(1_000, 3));
    }

    @Test
    void refillsAtRatePerSecond_cappedAtCapacity() {
        TokenBucket bucket = new TokenBucket();
        for (int i = 0; i < 60; i++) {
            bucket.tryTake(0, 60);
        }
        long wait = bucket.tryTake(0, 60);
        assertTrue(wait > 0 && wait <= 1_000, "wait " + wait);
        assertEquals(0, bucket.tryTake(1_000, 60), "one token after 1 s at 60/min");
        assertTrue(bucket.tryTake(1_000, 60) > 0);
        // A long idle period refills to capacity, not beyond.
        for (int i = 0; i < 60; i++) {
            assertEquals(0, bucket.tryTake(10_000_000, 60), "token " + i);
        }
        assertTrue(bucket.tryTake(10_000_000, 60) > 0);
    }

    @Test
    void clockGoingBackwards_neitherAddsNorThrows() {
        TokenBucket bucket = new TokenBucket();
        assertEquals(0, bucket.tryTake(5_000, 1));
        assertTrue(bucket.tryTake(1_000, 1) > 0);
    }

    @Test
    void spendingMoreThanThereIs_isADebt_repaidByTheRefillBeforeTheNextToken() {
        TokenBucket bucket = new TokenBucket();
        assertEquals(0, bucket.millisUntilToken(0, 60));   // full: 60 tokens, one a second
        bucket.spend(0, 60, 90);                             // 30 in debt
        assertEquals(31_000, bucket.millisUntilToken(0, 60));
        assertEquals(1_000, bucket.millisUntilToken(30_000, 60));
        assertEquals(0, bucket.millisUntilToken(31_000, 60));
    }
}
