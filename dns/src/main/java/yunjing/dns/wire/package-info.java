/**
 * DNS over UDP and TCP on Netty, and the message envelope: header checks, EDNS(0) (RFC 6891),
 * truncation, metrics. Internal to {@code yunjing.dns}.
 */
package yunjing.dns.wire;
