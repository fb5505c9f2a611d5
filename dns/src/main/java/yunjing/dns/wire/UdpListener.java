package yunjing.dns.wire;

import java.net.InetSocketAddress;

/** One bound UDP socket of a {@link DnsListeners}: batched native I/O, or a Netty datagram channel. */
interface UdpListener {

    InetSocketAddress localAddress();

    boolean isActive();

    /** Whether the caller runs on the thread that serves this socket (which cannot wait for itself). */
    boolean onOwnThread();

    /** Closes the socket; with {@code await}, returns once it is closed. Idempotent. */
    void close(boolean await);
}
