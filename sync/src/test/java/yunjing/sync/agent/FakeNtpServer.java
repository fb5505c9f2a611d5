package yunjing.sync.agent;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A tiny NTP server (RFC 5905 packet format, answers v3 and v4 client requests) on a loopback UDP
 * port, whose clock runs {@code offset} ahead of this machine's. Enough for {@link ClockSkewGuard}'s
 * client to compute an offset; one thread, stopped by {@link #close}.
 */
final class FakeNtpServer implements AutoCloseable {

    /** Seconds from 1900-01-01 (the NTP era) to 1970-01-01. */
    private static final long NTP_TO_UNIX = 2_208_988_800L;

    private final DatagramSocket socket;
    private final Duration offset;
    private final Thread thread;

    FakeNtpServer(Duration offset) throws SocketException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.offset = offset;
        this.thread = new Thread(this::serve, "fake-ntp");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        byte[] in = new byte[512];
        while (!socket.isClosed()) {
            DatagramPacket request = new DatagramPacket(in, in.length);
            try {
                socket.receive(request);
            } catch (IOException closed) {
                return;
            }
            if (request.getLength() < 48) {
                continue;
            }
            int version = (in[0] >> 3) & 7;
            int mode = in[0] & 7;
            if (mode != 3 || version < 3 || version > 4) {
                continue; // only client requests of v3/v4
            }
            long now = ntpTime(System.currentTimeMillis() + offset.toMillis());
            ByteBuffer out = ByteBuffer.allocate(48);
            out.put((byte) (version << 3 | 4)); // LI 0, same version, mode 4 (server)
            out.put((byte) 1);                  // stratum 1: a primary reference
            out.put(in[2]);                     // poll, echoed
            out.put((byte) -20);                // precision, about a microsecond
            out.putInt(0).putInt(0);            // root delay, root dispersion
            out.put(new byte[] {'L', 'O', 'C', 'L'});
            out.putLong(now);                   // reference timestamp
            out.put(in, 40, 8);                 // originate = the client's transmit timestamp
            out.putLong(now);                   // receive
            out.putLong(now);                   // transmit
            try {
                socket.send(new DatagramPacket(out.array(), 48, request.getSocketAddress()));
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** 32.32 fixed point seconds since 1900. */
    private static long ntpTime(long unixMillis) {
        long seconds = Math.floorDiv(unixMillis, 1000) + NTP_TO_UNIX;
        long fraction = ((long) Math.floorMod(unixMillis, 1000) << 32) / 1000; // floorMod(long, int) is an int
        return seconds << 32 | fraction;
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(2000);
    }
}
