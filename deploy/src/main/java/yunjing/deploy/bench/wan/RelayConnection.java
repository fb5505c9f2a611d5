package yunjing.deploy.bench.wan;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client connection through a {@link WanRelay}: connects to the target on the client's event loop,
 * then runs a {@link DelayedPipe} each way and injects this connection's faults.
 *
 * <p>Runs on the client channel's event loop (the target channel shares it).
 */
final class RelayConnection extends ChannelInboundHandlerAdapter {

    private final WanRelay relay;
    private final SplittableRandom random;
    private Channel client;
    private Channel server;
    private DelayedPipe up;
    private DelayedPipe down;
    /** True when the last data seen went towards the client: the next client data starts a new turn. */
    private boolean answered;
    private FaultKind pendingFault;

    RelayConnection(WanRelay relay, SplittableRandom random) {
        this.relay = relay;
        this.random = random;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        long acceptedNanos = System.nanoTime();
        long oneWay = relay.profile().oneWayDelay().toNanos();
        relay.stats().connections.incrementAndGet();
        client.config().setAutoRead(false);
        // Accepting starts the first turn: its fault strikes the first response.
        pendingFault = newTurn();
        if (pendingFault == FaultKind.REFUSE) {
            // The RST arrives where the SYN-ACK would have: one round trip after connecting.
            client.eventLoop().schedule(() -> DelayedPipe.reset(client), 2 * oneWay, TimeUnit.NANOSECONDS);
            return;
        }
        Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(relay.socketChannelClass())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ServerSide());
        ChannelFuture connect = b.connect(relay.target());
        server = connect.channel();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                DelayedPipe.reset(client);
                return;
            }
            up = new DelayedPipe(client, server, relay.upPacer(), relay.profile(), random, relay.stats().bytesUp);
            // The kernel completed the client's handshake locally; a real one costs a round trip before the
            // first byte can leave, which then takes one more one-way delay.
            up.notBefore(acceptedNanos + 3 * oneWay);
            down = new DelayedPipe(server, client, relay.downPacer(), relay.profile(), random, relay.stats().bytesDown);
            client.config().setAutoRead(true);
            server.config().setAutoRead(true);
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (up == null || !(msg instanceof ByteBuf data)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (answered) {
            answered = false;
            FaultKind fault = newTurn();
            if (fault == FaultKind.REFUSE) {
                data.release();
                resetBoth();
                return;
            }
            pendingFault = fault;
        }
        up.send(data);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (down != null) {
            down.maybeResume();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (up != null) {
            up.finish(false);
        } else if (server != null) {
            server.close();
        }
        if (down != null) {
            down.discard();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset by the client: channelInactive tears down the rest
    }

    private FaultKind newTurn() {
        relay.stats().turns.incrementAndGet();
        FaultKind fault = relay.drawFault(random);
        if (fault != null) {
            relay.stats().fault(fault);
        }
        return fault;
    }

    private void resetBoth() {
        if (up != null) {
            up.discard();
        }
        if (down != null) {
            down.discard();
        }
        DelayedPipe.reset(server);
        DelayedPipe.reset(client);
    }

    /** The target side: its data goes down to the client, where this turn's fault strikes. */
    private final class ServerSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (down == null || !(msg instanceof ByteBuf data)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            answered = true;
            FaultKind fault = pendingFault;
            pendingFault = null;
            if (fault == FaultKind.STALL) {
                down.stall(relay.profile().faults().stall().toNanos());
            } else if (fault == FaultKind.RESET) {
                // Half of the first response chunk gets through, then the flow is cut both ways.
                ByteBuf half = data.readRetainedSlice(data.readableBytes() / 2);
                data.release();
                up.discard();
                DelayedPipe.reset(server);
                down.send(half);
                down.finish(true);
                return;
            }
            down.send(data);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (up != null) {
                up.maybeResume();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (down != null) {
                down.finish(false);
            } else if (client != null) {
                client.close();
            }
            if (up != null) {
                up.discard();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
