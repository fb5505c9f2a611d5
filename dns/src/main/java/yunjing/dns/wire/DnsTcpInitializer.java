package yunjing.dns.wire;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the pipeline of an accepted DNS-over-TCP connection; handler names and order live here:
 * <pre>
 *   idle → frameDecoder → framePrepender → query
 * </pre>
 * DNS over TCP prefixes every message with its length as two bytes (RFC 1035 section 4.2.2).
 * Past the current {@code maxTcpConnections} open connections (a reload may change it), a newly
 * accepted one is closed at once (counted as {@code yunjing.dns.dropped{reason=tcp-limit}}): a client
 * holding connections open cannot exhaust our file descriptors (RFC 7766 section 10).
 */
final class DnsTcpInitializer extends ChannelInitializer<Channel> {

    static final String IDLE = "idle";
    static final String FRAME_DECODER = "frameDecoder";
    static final String FRAME_PREPENDER = "framePrepender";
    static final String QUERY = "query";

    private final QueryProcessor processor;
    private final Duration idleTimeout;
    private final ChannelGroup connections;
    private final LiveProtection protection;
    private final QueryMetrics metrics;
    private final AtomicInteger open = new AtomicInteger(); // accepted and not yet closed

    DnsTcpInitializer(QueryProcessor processor, Duration idleTimeout, ChannelGroup connections) {
        this(processor, idleTimeout, connections, new LiveProtection(new Protection(0, 2, Integer.MAX_VALUE)), null);
    }

    DnsTcpInitializer(QueryProcessor processor, Duration idleTimeout, ChannelGroup connections,
            LiveProtection protection, QueryMetrics metrics) {
        this.processor = processor;
        this.idleTimeout = idleTimeout;
        this.connections = connections;
        this.protection = protection;
        this.metrics = metrics;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (open.incrementAndGet() > protection.maxTcpConnections()) {
            open.decrementAndGet();
            if (metrics != null) {
                metrics.dropped("tcp-limit");
            }
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        connections.add(ch); // closed with the server; removed by the group when it closes
        ChannelPipeline p = ch.pipeline();
        p.addLast(IDLE, new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        p.addLast(FRAME_DECODER, new LengthFieldBasedFrameDecoder(QueryProcessor.MAX_TCP + 2, 0, 2, 0, 2));
        p.addLast(FRAME_PREPENDER, new LengthFieldPrepender(2));
        p.addLast(QUERY, new DnsTcpHandler(processor));
    }
}
