/**
 * The edge's half of RTT steering: {@link yunjing.proxy.rtt.RttReporter} reads the kernel's smoothed
 * RTT (TCP_INFO) of accepted client connections, averages it per client block (IPv4 /24, IPv6 /48)
 * and posts the averages to the DNS, which ranks edges by them. Public for the composition root.
 */
package yunjing.proxy.rtt;
