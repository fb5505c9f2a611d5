/*
 * Batched UDP I/O for the DNS server (yunjing.dns.wire.MmsgSocket): one recvmmsg fills a batch of
 * datagrams, the Java loop answers them in place, one sendmmsg sends the answers, as gdnsd does.
 * Netty's epoll datagram channel costs dnsperf's throughput ~10 % on a 2-core machine against this
 * pattern although it also batches; see dns/README.md, "UDP I/O".
 *
 * The batch is a direct ByteBuffer of `count` slots of `slot` bytes each. A slot starts with a
 * 32-byte header in the platform's byte order, then the payload:
 *   int    length   of the payload
 *   int    family   4 or 6 (the peer's socket address family, kept as received so a reply to an
 *                   IPv4-mapped peer on a dual-stack socket goes back the same way)
 *   int    port
 *   int    scope    IPv6 scope id
 *   byte[16] address (the first 4 bytes for family 4)
 * Receive writes headers and payloads; send reads them. Errors come back as -errno, never thrown:
 * the Java side decides what is fatal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jni.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HEADER 32
#define MAX_BATCH 64

typedef struct {
    int length;
    int family;
    int port;
    int scope;
    unsigned char address[16];
} slot_header;

static int to_sockaddr(const slot_header *h, struct sockaddr_storage *out, socklen_t *len) {
    memset(out, 0, sizeof *out);
    if (h->family == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *) out;
        a->sin_family = AF_INET;
        a->sin_port = htons((unsigned short) h->port);
        memcpy(&a->sin_addr, h->address, 4);
        *len = sizeof *a;
        return 0;
    }
    if (h->family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((unsigned short) h->port);
        a->sin6_scope_id = (uint32_t) h->scope;
        memcpy(&a->sin6_addr, h->address, 16);
        *len = sizeof *a;
        return 0;
    }
    return -1;
}

static void from_sockaddr(const struct sockaddr_storage *in, slot_header *h) {
    memset(h->address, 0, sizeof h->address);
    h->scope = 0;
    if (in->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *) in;
        h->family = 4;
        h->port = ntohs(a->sin_port);
        memcpy(h->address, &a->sin_addr, 4);
    } else if (in->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) in;
        h->family = 6;
        h->port = ntohs(a->sin6_port);
        h->scope = (int) a->sin6_scope_id;
        memcpy(h->address, &a->sin6_addr, 16);
    } else {
        h->family = 0;
        h->port = 0;
    }
}

/* A bound UDP socket: address is 4 or 16 bytes; returns the descriptor or -errno. */
JNIEXPORT jint JNICALL Java_yunjing_dns_wire_MmsgSocket_open(JNIEnv *env, jclass cls, jbyteArray address,
        jint scope, jint port, jboolean reuse_port, jint receive_timeout_ms) {
    (void) cls;
    jsize n = (*env)->GetArrayLength(env, address);
    slot_header h = {.family = n == 4 ? 4 : 6, .port = port, .scope = scope};
    if (n != 4 && n != 16) {
        return -EINVAL;
    }
    (*env)->GetByteArrayRegion(env, address, 0, n, (jbyte *) h.address);
    struct sockaddr_storage self;
    socklen_t self_len;
    to_sockaddr(&h, &self, &self_len);
    int fd = socket(self.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    int one = 1;
    struct timeval timeout = {.tv_sec = receive_timeout_ms / 1000, .tv_usec = (receive_timeout_ms % 1000) * 1000};
    if ((reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0
            || bind(fd, (struct sockaddr *) &self, self_len) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* The bound port, or -errno. */
JNIEXPORT jint JNICALL Java_yunjing_dns_wire_MmsgSocket_localPort(JNIEnv *env, jclass cls, jint fd) {
    (void) env;
    (void) cls;
    struct sockaddr_storage self;
    socklen_t len = sizeof self;
    if (getsockname(fd, (struct sockaddr *) &self, &len) != 0) {
        return -errno;
    }
    slot_header h;
    from_sockaddr(&self, &h);
    return h.port;
}

/*
 * Waits for at least one datagram (or the receive timeout), then takes what else is queued, up to
 * `count`: returns how many slots it filled, 0 on timeout or interruption, or -errno.
 * A datagram longer than the slot arrives truncated (MSG_TRUNC): its length is set past the slot, so
 * Java sees it as oversize without reading beyond the buffer.
 */
JNIEXPORT jint JNICALL Java_yunjing_dns_wire_MmsgSocket_receive(JNIEnv *env, jclass cls, jint fd, jobject batch,
        jint count, jint slot) {
    (void) cls;
    unsigned char *base = (*env)->GetDirectBufferAddress(env, batch);
    if (base == NULL || count <= 0 || count > MAX_BATCH || slot <= HEADER
            || (*env)->GetDirectBufferCapacity(env, batch) < (jlong) count * slot) {
        return -EINVAL;
    }
    struct mmsghdr messages[MAX_BATCH];
    struct iovec vectors[MAX_BATCH];
    struct sockaddr_storage peers[MAX_BATCH];
    for (int i = 0; i < count; i++) {
        vectors[i] = (struct iovec) {.iov_base = base + (size_t) i * slot + HEADER, .iov_len = (size_t) (slot - HEADER)};
        messages[i].msg_hdr = (struct msghdr) {.msg_name = &peers[i], .msg_namelen = sizeof peers[i],
                                               .msg_iov = &vectors[i], .msg_iovlen = 1};
        messages[i].msg_len = 0;
    }
    int n = recvmmsg(fd, messages, (unsigned int) count, MSG_WAITFORONE, NULL);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n; i++) {
        slot_header h;
        from_sockaddr(&peers[i], &h);
        h.length = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? slot : (int) messages[i].msg_len;
        memcpy(base + (size_t) i * slot, &h, sizeof h);
    }
    return n;
}

/*
 * Sends the first `count` slots without blocking: returns how many left. A datagram the kernel
 * refuses (a bad peer address) is skipped; a full send buffer ends the batch there.
 */
JNIEXPORT jint JNICALL Java_yunjing_dns_wire_MmsgSocket_send(JNIEnv *env, jclass cls, jint fd, jobject batch,
        jint count, jint slot) {
    (void) cls;
    unsigned char *base = (*env)->GetDirectBufferAddress(env, batch);
    if (base == NULL || count < 0 || count > MAX_BATCH || slot <= HEADER
            || (*env)->GetDirectBufferCapacity(env, batch) < (jlong) count * slot) {
        return -EINVAL;
    }
    struct mmsghdr messages[MAX_BATCH];
    struct iovec vectors[MAX_BATCH];
    struct sockaddr_storage peers[MAX_BATCH];
    int ready = 0;
    for (int i = 0; i < count; i++) {
        slot_header h;
        memcpy(&h, base + (size_t) i * slot, sizeof h);
        socklen_t peer_len;
        if (h.length < 0 || h.length > slot - HEADER || to_sockaddr(&h, &peers[ready], &peer_len) != 0) {
            continue;
        }
        vectors[ready] = (struct iovec) {.iov_base = base + (size_t) i * slot + HEADER, .iov_len = (size_t) h.length};
        messages[ready].msg_hdr = (struct msghdr) {.msg_name = &peers[ready], .msg_namelen = peer_len,
                                                   .msg_iov = &vectors[ready], .msg_iovlen = 1};
        ready++;
    }
    int sent = 0;
    int at = 0;
    while (at < ready) {
        int n = sendmmsg(fd, messages + at, (unsigned int) (ready - at), MSG_DONTWAIT);
        if (n > 0) {
            sent += n;
            at += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            break;
        } else {
            at++; /* this datagram was refused: skip it, send the rest */
        }
    }
    return sent;
}

/* Wakes a thread blocked in receive (an unconnected UDP socket still takes SHUT_RD). */
JNIEXPORT void JNICALL Java_yunjing_dns_wire_MmsgSocket_shutdown(JNIEnv *env, jclass cls, jint fd) {
    (void) env;
    (void) cls;
    shutdown(fd, SHUT_RDWR);
}

JNIEXPORT jint JNICALL Java_yunjing_dns_wire_MmsgSocket_close(JNIEnv *env, jclass cls, jint fd) {
    (void) env;
    (void) cls;
    return close(fd) == 0 ? 0 : -errno;
}

JNIEXPORT jstring JNICALL Java_yunjing_dns_wire_MmsgSocket_describe(JNIEnv *env, jclass cls, jint error) {
    (void) cls;
    char text[128];
    return (*env)->NewStringUTF(env, strerror_r(error, text, sizeof text));
}
