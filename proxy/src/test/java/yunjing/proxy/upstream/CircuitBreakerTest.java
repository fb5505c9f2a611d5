package yunjing.proxy.upstream;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CircuitBreakerTest {

    private final AtomicLong clock = new AtomicLong(1_000);
    private final CircuitBreaker breaker = new CircuitBreaker(clock::get);

    @Test
    void opensAfterFiveConsecutiveFailures_notFour() {
        failTimes(4);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertTrue(breaker.tryAcquire());
        breaker.onFailure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertFalse(breaker.tryAcquire());
        assertFalse(breaker.mayAllow());
    }

    @Test
    void aSuccessResetsTheCount() {
        failTimes(4);
        breaker.onSuccess();
        failTimes(4);
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    }

    @Test
    void halfOpenAfterTenSeconds_letsOneTrialThrough_successCloses() {
        failTimes(5);
        clock.addAndGet(CircuitBreaker.OPEN_NANOS - 1);
        assertFalse(breaker.tryAcquire(), "still open just before 10 s");
        clock.addAndGet(1);
        assertTrue(breaker.mayAllow());
        assertTrue(breaker.tryAcquire(), "the trial");
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        assertFalse(breaker.tryAcquire(), "only one trial at a time");
        breaker.onSuccess();
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void failedTrial_opensAgainForAnotherTenSeconds() {
        failTimes(5);
        clock.addAndGet(CircuitBreaker.OPEN_NANOS);
        assertTrue(breaker.tryAcquire());
        breaker.onFailure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        clock.addAndGet(CircuitBreaker.OPEN_NANOS / 2);
        assertFalse(breaker.tryAcquire());
        clock.addAndGet(CircuitBreaker.OPEN_NANOS / 2);
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void trialThatNeverReports_doesNotWedgeTheBreaker() {
        failTimes(5);
        clock.addAndGet(CircuitBreaker.OPEN_NANOS);
        assertTrue(breaker.tryAcquire());
        // Its client went away: no verdict. Another trial is allowed after the same wait.
        clock.addAndGet(CircuitBreaker.OPEN_NANOS);
        assertTrue(breaker.tryAcquire());
        assertFalse(breaker.tryAcquire());
    }

    private void failTimes(int n) {
        for (int i = 0; i < n; i++) {
            breaker.onFailure();
        }
    }
}
