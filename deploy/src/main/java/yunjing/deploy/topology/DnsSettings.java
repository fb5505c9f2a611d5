package yunjing.deploy.topology;

import java.net.InetSocketAddress;

/** The authoritative DNS listener (UDP and TCP on one port), its admin port and answer shape. */
public record DnsSettings(InetSocketAddress listen, InetSocketAddress admin, int ttlSeconds, int maxAnswers) {
}
