package yunjing.dns.wire;

import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One UDP socket answered by its own thread in batches, the way gdnsd serves UDP: the thread blocks
 * in {@code recvmmsg} until at least one datagram is queued, takes up to {@value #BATCH} at once,
 * answers each in the same buffer ({@link DatagramAnswerer}), and sends the answers with one
 * {@code sendmmsg}. Compared with Netty's epoll datagram channel (an {@code epoll_wait} before the
 * reads, a {@code DatagramPacket}, buffers and a pipeline pass per datagram) this let dnsperf reach
 * gdnsd's rate on 2 cores (dns/README.md, "UDP I/O").
 *
 * <p>A full send buffer drops the answers that did not fit ({@code dropped{reason=backlog}}), as the
 * Netty path does when the channel is not writable: memory stays bounded and resolvers retry.
 * A datagram larger than a slot is dropped unread ({@code dropped{reason=oversize}}).
 *
 * <p>Lifecycle: {@link #bind} opens the socket and starts the thread; {@link #close} (idempotent)
 * wakes it with {@code shutdown}; the thread finishes its batch and closes the descriptor itself, so
 * no thread ever uses a descriptor number after it was closed (and perhaps recycled).
 */
final class MmsgUdpListener implements UdpListener {

    private static final System.Logger LOG = System.getLogger(MmsgUdpListener.class.getName());

    /** Datagrams per system call: gdnsd's default. */
    static final int BATCH = 32;
    /** Slot payload: a query may be as long as the Netty path's receive buffer; answers are at most 1232 bytes. */
    static final int SLOT = MmsgSocket.HEADER + DnsListeners.UDP_RECEIVE_BUFFER;
    /** How long a receive blocks before looking at the closed flag again, in case a wake-up is lost. */
    static final int RECEIVE_TIMEOUT_MILLIS = 250;

    private final int fd;
    private final InetSocketAddress localAddress;
    private final DatagramAnswerer answerer;
    private final Thread thread;
    private volatile boolean closed;
    private InetSocketAddress lastSender; // see sender(); only the serving thread touches these two
    private int lastSenderIp;
    private boolean descriptorClosed; // guarded by this: shutdown must never reach a recycled number

    private MmsgUdpListener(int fd, InetSocketAddress localAddress, DatagramAnswerer answerer, String threadName) {
        this.fd = fd;
        this.localAddress = localAddress;
        this.answerer = answerer;
        this.thread = new Thread(this::serve, threadName);
        thread.setDaemon(true);
    }

    /**
     * A socket bound to {@code address} (port 0: an ephemeral one), served from now on.
     *
     * @throws BindException naming the address when the socket cannot be bound
     * @throws IllegalStateException when the native library is unavailable
     */
    static MmsgUdpListener bind(InetSocketAddress address, boolean reusePort, DatagramAnswerer answerer,
            String threadName) throws BindException {
        if (!MmsgSocket.isAvailable()) {
            throw new IllegalStateException("batched UDP I/O unavailable: " + MmsgSocket.unavailabilityCause());
        }
        InetAddress ip = address.getAddress();
        int scope = ip instanceof Inet6Address v6 ? v6.getScopeId() : 0;
        int fd = MmsgSocket.open(ip.getAddress(), scope, address.getPort(), reusePort, RECEIVE_TIMEOUT_MILLIS);
        if (fd < 0) {
            throw new BindException("dns udp " + ip.getHostAddress() + ":" + address.getPort() + ": "
                    + MmsgSocket.describe(-fd));
        }
        int port = MmsgSocket.localPort(fd);
        if (port < 0) {
            MmsgSocket.close(fd);
            throw new BindException("dns udp " + ip.getHostAddress() + ": " + MmsgSocket.describe(-port));
        }
        MmsgUdpListener listener = new MmsgUdpListener(fd, new InetSocketAddress(ip, port), answerer, threadName);
        listener.thread.start();
        return listener;
    }

    private void serve() {
        try {
            serveUntilClosed();
        } finally {
            synchronized (this) {
                descriptorClosed = true;
                MmsgSocket.close(fd);
            }
        }
    }

    private void serveUntilClosed() {
        ByteBuffer batch = ByteBuffer.allocateDirect(BATCH * SLOT).order(ByteOrder.nativeOrder());
        QueryMetrics metrics = answerer.metrics();
        while (!closed) {
            int received = MmsgSocket.receive(fd, batch, BATCH, SLOT);
            if (closed) {
                break;
            }
            if (received < 0) {
                // Not expected on a bound datagram socket; log, and do not spin if it repeats.
                LOG.log(Level.DEBUG, "dns udp " + localAddress + ": receive: " + MmsgSocket.describe(-received));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                continue;
            }
            int answers = answerBatch(batch, received, metrics);
            if (answers > 0) {
                int sent = MmsgSocket.send(fd, batch, answers, SLOT);
                for (int i = Math.max(sent, 0); i < answers; i++) {
                    metrics.dropped("backlog");
                }
            }
        }
    }

    /** Answers the {@code received} datagrams in place: the answers fill the first slots; returns how many. */
    private int answerBatch(ByteBuffer batch, int received, QueryMetrics metrics) {
        int answers = 0;
        for (int i = 0; i < received; i++) {
            int at = i * SLOT;
            int length = batch.getInt(at);
            if (length > SLOT - MmsgSocket.HEADER) {
                metrics.dropped("oversize");
                continue;
            }
            InetSocketAddress sender = sender(batch, at);
            if (sender == null) {
                continue; // not an IP peer: nothing to answer
            }
            byte[] query = new byte[length];
            batch.get(at + MmsgSocket.HEADER, query);
            byte[] answer;
            try {
                answer = answerer.answer(query, sender);
            } catch (RuntimeException e) { // never expected: the processor counts and absorbs its own
                LOG.log(Level.WARNING, "dns udp: answering a " + length + "-byte query failed", e);
                continue;
            }
            if (answer == null || answer.length > SLOT - MmsgSocket.HEADER) {
                continue;
            }
            int to = answers * SLOT;
            if (to != at) {
                batch.put(to + 4, batch, at + 4, MmsgSocket.HEADER - 4); // the peer, as received
            }
            batch.putInt(to, answer.length);
            batch.put(to + MmsgSocket.HEADER, answer);
            answers++;
        }
        return answers;
    }

    /**
     * The peer of the slot at {@code at}, or null if its family is not IP. The last IPv4 peer is
     * reused while the next datagram comes from the same address and port (a resolver sends many
     * queries from one socket), sparing three objects per datagram. Confined to this listener's thread.
     */
    private InetSocketAddress sender(ByteBuffer batch, int at) {
        int family = batch.getInt(at + 4);
        int port = batch.getInt(at + 8);
        int scope = batch.getInt(at + 12);
        if (family == 4) {
            int ip = batch.getInt(at + 16);
            if (lastSender != null && ip == lastSenderIp && port == lastSender.getPort()) {
                return lastSender;
            }
            lastSender = peer(batch, at, 4, 0, port);
            lastSenderIp = ip;
            return lastSender;
        }
        return family == 6 ? peer(batch, at, 16, scope, port) : null;
    }

    private static InetSocketAddress peer(ByteBuffer batch, int at, int length, int scope, int port) {
        byte[] address = new byte[length];
        batch.get(at + 16, address);
        try {
            // getByAddress turns an IPv4-mapped IPv6 address into the IPv4 one, as Netty does.
            InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, address, scope) : InetAddress.getByAddress(address);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public boolean isActive() {
        return !closed && thread.isAlive();
    }

    @Override
    public boolean onOwnThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void close(boolean await) {
        synchronized (this) {
            if (!closed && !descriptorClosed) {
                MmsgSocket.shutdown(fd); // the thread wakes, sees the flag and closes the descriptor
            }
            closed = true;
        }
        if (await && !onOwnThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "MmsgUdpListener" + Arrays.asList(localAddress, thread.getName());
    }
}
