package yunjing.dns.wire;

import yunjing.common.jni.BundledLibrary;

import java.nio.ByteBuffer;

/**
 * The JNI side of batched UDP I/O ({@code src/main/native/dns_udp.c}): a bound UDP socket as a file
 * descriptor, {@code recvmmsg} into and {@code sendmmsg} from a direct buffer of slots (layout in the
 * C file: a 32-byte header of length, family, port, scope and address, then the payload). Errors come
 * back as negative errno values. A gate in the style of Netty's {@code Epoll}: {@link #isAvailable()}
 * and {@link #unavailabilityCause()}; the system property {@value #PATH_PROPERTY} names a library file
 * to load instead of the jar's.
 */
final class MmsgSocket {

    static final String LIBRARY = "libyunjing_dns.so";
    static final String PATH_PROPERTY = "yunjing.dns.native.library";
    /** Bytes of a slot's header before the payload. */
    static final int HEADER = 32;
    /** The most slots one call takes (the C side's stack arrays). */
    static final int MAX_BATCH = 64;

    private static final Throwable UNAVAILABILITY_CAUSE = BundledLibrary.load(MmsgSocket.class, LIBRARY,
            PATH_PROPERTY, "the build had no C compiler, or ran with -Dnative.skip");

    private MmsgSocket() {
    }

    static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the library could not be loaded, or null when it is loaded. */
    static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** A bound socket's descriptor, or -errno. {@code address}: 4 or 16 bytes. */
    static native int open(byte[] address, int scope, int port, boolean reusePort, int receiveTimeoutMillis);

    /** The port a socket is bound to, or -errno. */
    static native int localPort(int fd);

    /** Blocks for one datagram (or the receive timeout), then takes what else is queued: slots filled, or -errno. */
    static native int receive(int fd, ByteBuffer batch, int count, int slot);

    /** Sends the first {@code count} slots without blocking: how many went out, or -errno. */
    static native int send(int fd, ByteBuffer batch, int count, int slot);

    /** Wakes a thread blocked in {@link #receive}. */
    static native void shutdown(int fd);

    static native int close(int fd);

    /** The C library's text for an errno value (e.g. "Address already in use"). */
    static native String describe(int errno);
}
