package yunjing.dns.wire;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static yunjing.dns.wire.ResponseRateLimiter.Decision.DROP;
import static yunjing.dns.wire.ResponseRateLimiter.Decision.SEND;
import static yunjing.dns.wire.ResponseRateLimiter.Decision.SLIP;

class ResponseRateLimiterTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void burstOfOneSecondThenEverySlipthLimitedResponseSlips() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(3, 2);
        List<ResponseRateLimiter.Decision> d = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            d.add(rrl.check(ip("198.51.100.7"), 1_000));
        }
        assertEquals(List.of(SEND, SEND, SEND, DROP, SLIP, DROP, SLIP), d);
    }

    @Test
    void tokensRefillAtTheConfiguredRate() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(10, 1);
        for (int i = 0; i < 10; i++) {
            assertEquals(SEND, rrl.check(ip("198.51.100.7"), 0));
        }
        assertEquals(SLIP, rrl.check(ip("198.51.100.7"), 0), "slip 1: every limited response slips");
        assertEquals(SEND, rrl.check(ip("198.51.100.7"), 100_000_000L), "100 ms at 10/s = one token");
        assertEquals(SLIP, rrl.check(ip("198.51.100.7"), 100_000_000L));
    }

    @Test
    void clientsOfOneSlash24ShareABucketOthersDoNot() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(1, 1);
        assertEquals(SEND, rrl.check(ip("198.51.100.7"), 0));
        assertEquals(SLIP, rrl.check(ip("198.51.100.200"), 0), "same /24");
        assertEquals(SEND, rrl.check(ip("198.51.101.7"), 0), "next /24");
    }

    @Test
    void ipv6ClientsAreGroupedBySlash56() throws Exception {
        assertEquals(ResponseRateLimiter.blockKey(ip("2001:db8:0:12::1")),
                ResponseRateLimiter.blockKey(ip("2001:db8:0:ff::2")));
        assertNotEquals(ResponseRateLimiter.blockKey(ip("2001:db8:0:100::1")),
                ResponseRateLimiter.blockKey(ip("2001:db8:0:ff::2")));
        assertNotEquals(ResponseRateLimiter.blockKey(ip("0.0.0.1")), ResponseRateLimiter.blockKey(ip("::1")));
    }

    @Test
    void tableStaysBoundedUnderASpoofedFlood() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(1, 2);
        byte[] a = new byte[4];
        for (int i = 0; i < ResponseRateLimiter.MAX_BLOCKS * 3; i++) {
            a[0] = (byte) (i >>> 16);
            a[1] = (byte) (i >>> 8);
            a[2] = (byte) i;
            rrl.check(InetAddress.getByAddress(a), i * 10L);
        }
        assertTrue(rrl.blocks() <= ResponseRateLimiter.MAX_BLOCKS, "blocks: " + rrl.blocks());
    }

    @Test
    void socketsSharingTheLimiterSpendOneBucket() throws Exception {
        // The sockets of one listener check from their own event loops at once: one block's
        // responses stay within its burst however the packets were spread.
        ResponseRateLimiter rrl = new ResponseRateLimiter(100, 1);
        InetAddress client = ip("198.51.100.7");
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    if (rrl.check(client, 0) == SEND) {
                        sent.incrementAndGet();
                    }
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(100, sent.get(), "one second's burst, no refill at a fixed clock");
        assertEquals(1, rrl.blocks());
    }
}
