package yunjing.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Idle keep-alive connections to the parents, per event loop and parent. Each loop's part is touched
 * only from that loop, so an exchange always gets a connection on its own thread. Last in, first out:
 * the most recently used connection is the least likely to have been closed by the parent.
 */
final class IdleConnections {

    /** At most this many idle connections per parent and event loop; more are closed on release. */
    static final int MAX_IDLE_PER_LOOP = 8;

    /**
     * Idle connections are closed after this long, well before a parent's own idle timeout is likely
     * to close them under us (which would make the next request race with the close).
     */
    static final long IDLE_TIMEOUT_SECONDS = 15;

    private final Map<EventLoop, Map<String, ArrayDeque<Channel>>> byLoop = new ConcurrentHashMap<>();

    /** An open idle connection to {@code parentId} on {@code loop}, or null. Runs on {@code loop}. */
    Channel acquire(EventLoop loop, String parentId) {
        ArrayDeque<Channel> idle = byLoop.computeIfAbsent(loop, l -> new HashMap<>()).get(parentId);
        while (idle != null && !idle.isEmpty()) {
            Channel channel = idle.pollLast();
            UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
            if (channel.isActive() && handler != null) {
                handler.leaveIdle();
                return channel;
            }
        }
        return null;
    }

    /** Parks a connection whose exchange ended cleanly. Runs on the channel's loop. */
    void release(Channel channel, String parentId) {
        EventLoop loop = channel.eventLoop();
        ArrayDeque<Channel> idle = byLoop.computeIfAbsent(loop, l -> new HashMap<>())
                .computeIfAbsent(parentId, p -> new ArrayDeque<>());
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        if (!channel.isActive() || handler == null || idle.size() >= MAX_IDLE_PER_LOOP) {
            channel.close();
            return;
        }
        idle.addLast(channel);
        handler.enterIdle(parentId, loop.schedule(() -> {
            remove(channel, parentId);
            channel.close();
        }, IDLE_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    /** Forgets a connection that closed or timed out while idle. Runs on the channel's loop. */
    void remove(Channel channel, String parentId) {
        Map<String, ArrayDeque<Channel>> parents = byLoop.get(channel.eventLoop());
        ArrayDeque<Channel> idle = parents == null ? null : parents.get(parentId);
        if (idle != null) {
            idle.remove(channel);
        }
    }
}
