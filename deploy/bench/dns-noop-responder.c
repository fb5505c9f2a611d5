/*
 * The load generator's ceiling for deploy/bench/dns-vs-gdnsd.sh: a UDP "DNS server" that does no
 * DNS work at all. It answers each datagram with the same bytes, QR set, from THREADS threads, each
 * with its own SO_REUSEPORT socket, recvmmsg and sendmmsg 32 at a time (as gdnsd reads and writes),
 * so what dnsperf reaches against it is what the machine, the kernel and dnsperf itself allow.
 *
 *   cc -O2 -pthread -o noop dns-noop-responder.c && ./noop PORT THREADS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 32
#define MAX_DATAGRAM 1500

static int port;

static void *serve(void *unused) {
    (void) unused;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) || bind(fd, (struct sockaddr *) &self, sizeof self)) {
        perror("noop responder: socket");
        exit(2);
    }
    static __thread char data[BATCH][MAX_DATAGRAM];
    struct mmsghdr messages[BATCH];
    struct iovec vectors[BATCH];
    struct sockaddr_in peers[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            vectors[i] = (struct iovec) {.iov_base = data[i], .iov_len = MAX_DATAGRAM};
            messages[i].msg_hdr = (struct msghdr) {.msg_name = &peers[i], .msg_namelen = sizeof peers[i],
                                                   .msg_iov = &vectors[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            vectors[i].iov_len = messages[i].msg_len;
            if (messages[i].msg_len > 2) {
                data[i][2] |= 0x80; /* QR: a response */
            }
        }
        sendmmsg(fd, messages, n, 0);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 || (port = atoi(argv[1])) <= 0 || atoi(argv[2]) <= 0) {
        fprintf(stderr, "usage: %s PORT THREADS\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[2]);
    pthread_t t;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&t, NULL, serve, NULL)) {
            perror("noop responder: thread");
            return 2;
        }
    }
    pthread_join(t, NULL);
    return 0;
}
