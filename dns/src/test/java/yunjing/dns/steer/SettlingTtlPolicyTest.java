package yunjing.dns.steer;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class SettlingTtlPolicyTest {

    private final AtomicBoolean unsettled = new AtomicBoolean();

    private SteeringAnswer steer(SteeringAnswer fromDelegate) {
        return new SettlingTtlPolicy(q -> fromDelegate, unsettled::get).steer(null);
    }

    @Test
    void settledHealthKeepsTheDelegatesTtl() throws Exception {
        SteeringAnswer a = new SteeringAnswer(List.of(InetAddress.getByName("192.0.2.1")), 30, false, "any", 24);
        assertSame(a, steer(a));
    }

    @Test
    void changingHealthCapsTheTtlAndKeepsTheRest() throws Exception {
        unsettled.set(true);
        SteeringAnswer a = steer(new SteeringAnswer(List.of(InetAddress.getByName("192.0.2.1")), 30, false, "any", 24));
        assertEquals(SettlingTtlPolicy.UNSETTLED_TTL_SECONDS, a.ttlSeconds());
        assertEquals("any", a.rule());
        assertEquals(24, a.scopePrefix());
        assertEquals(List.of(InetAddress.getByName("192.0.2.1")), a.addresses());
    }

    @Test
    void changingHealthNeverLengthensAShortTtlNorTouchesNodata() throws Exception {
        unsettled.set(true);
        SteeringAnswer shortTtl = new SteeringAnswer(List.of(InetAddress.getByName("192.0.2.1")), 3, true);
        assertSame(shortTtl, steer(shortTtl));
        assertSame(SteeringAnswer.NONE, steer(SteeringAnswer.NONE));
    }
}
