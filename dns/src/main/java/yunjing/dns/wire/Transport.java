package yunjing.dns.wire;

/** How a query arrived; decides the response size limit and names the metric tag. */
enum Transport {
    UDP("udp"),
    TCP("tcp");

    final String tag;

    Transport(String tag) {
        this.tag = tag;
    }
}
