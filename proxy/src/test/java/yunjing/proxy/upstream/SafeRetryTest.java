package yunjing.proxy.upstream;

import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class SafeRetryTest {

    @Test
    void bodylessIdempotentRequestGoesToTheNextParentAndCountsAgainstThisOne() {
        SafeRetry retry = SafeRetry.afterClose(HttpMethod.GET, false, false, true, false, false, false, null);
        assertEquals(new SafeRetry("closed_idempotent", false, true), retry);
    }

    @Test
    void bodylessPostIsNotRetried() {
        assertNull(SafeRetry.afterClose(HttpMethod.POST, false, false, true, false, false, false, null));
    }

    @Test
    void reusedConnectionIsRetriedOnTheSameParent() {
        assertSame(SafeRetry.STALE_CONNECTION,
                SafeRetry.afterClose(HttpMethod.GET, false, false, true, true, false, false, null));
        assertSame(SafeRetry.STALE_CONNECTION,
                SafeRetry.afterClose(HttpMethod.POST, true, false, true, true, false, false, null));
    }

    @Test
    void bodyIsResentOnlyBeforeItCommittedOverHttp1() {
        assertEquals(new SafeRetry("closed_before_body", false, true),
                SafeRetry.afterClose(HttpMethod.POST, true, false, true, false, false, false, null));
        assertNull(SafeRetry.afterClose(HttpMethod.POST, true, true, true, false, false, false, null));
        assertNull(SafeRetry.afterClose(HttpMethod.POST, true, false, false, false, false, false, null));
    }

    @Test
    void h2StreamTheParentDidNotProcessIsResentEvenAfterItsBody() {
        assertEquals(new SafeRetry("refused_stream", false, false),
                SafeRetry.afterClose(HttpMethod.POST, true, true, true, false, true, true, "refused_stream"));
        assertNull(SafeRetry.afterClose(HttpMethod.POST, true, true, false, false, true, true, "refused_stream"));
    }

    @Test
    void h2ConnectionClosedBeforeSettingsFallsBackToHttp1OnTheSameParent() {
        assertSame(SafeRetry.NO_HTTP2,
                SafeRetry.afterClose(HttpMethod.POST, true, true, true, false, true, false, null));
    }
}
