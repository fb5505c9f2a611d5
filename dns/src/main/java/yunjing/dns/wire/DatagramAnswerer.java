package yunjing.dns.wire;

import java.net.InetSocketAddress;

/**
 * The answer to one UDP datagram, whichever loop reads it ({@link DnsUdpHandler} on Netty,
 * {@link MmsgUdpListener} on batched native I/O): the processor's response, then the response
 * rate limiter of the {@link LiveProtection} (shared by all sockets of the port), which may drop
 * it or let it slip out truncated. Thread-safe.
 */
final class DatagramAnswerer {

    private final QueryProcessor processor;
    private final QueryMetrics metrics;
    private final LiveProtection protection;

    DatagramAnswerer(QueryProcessor processor, QueryMetrics metrics, LiveProtection protection) {
        this.processor = processor;
        this.metrics = metrics;
        this.protection = protection;
    }

    QueryMetrics metrics() {
        return metrics;
    }

    /** The bytes to send back to {@code sender}, or null for none (counted where dropped). */
    byte[] answer(byte[] query, InetSocketAddress sender) {
        byte[] response = processor.process(query, Transport.UDP, sender);
        if (response == null) {
            return null;
        }
        ResponseRateLimiter limiter = protection.limiter();
        if (limiter == null) {
            return response;
        }
        return switch (limiter.check(sender.getAddress(), System.nanoTime())) {
            case SEND -> response;
            case DROP -> {
                metrics.dropped("rate-limit");
                yield null;
            }
            case SLIP -> {
                byte[] slipped = QueryProcessor.slip(response);
                if (slipped == null) {
                    metrics.dropped("rate-limit");
                } else {
                    metrics.slipped();
                }
                yield slipped;
            }
        };
    }
}
