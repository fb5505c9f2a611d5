package yunjing.proxy.rtt;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-block mean RTTs of one sampling round, and their JSON form for the DNS's {@code POST /rtt}.
 * Confined to the reporter's thread.
 */
final class ClientBlockRtts {

    /** Blocks kept per round: bounds memory and the size of what one round posts. */
    static final int MAX_BLOCKS = 50_000;

    private record Sum(double millis, int samples) {
    }

    private final Map<String, Sum> blocks = new LinkedHashMap<>();

    /** Adds one connection's RTT; {@code client} is its remote address. */
    void add(InetAddress client, double rttMillis) {
        add(client, rttMillis, 1);
    }

    /** Adds an RTT that stands for {@code samples} measurements of the path to {@code client}. */
    void add(InetAddress client, double rttMillis, int samples) {
        String block = block(client);
        if (!blocks.containsKey(block) && blocks.size() >= MAX_BLOCKS) {
            return;
        }
        blocks.merge(block, new Sum(rttMillis * samples, samples),
                (a, b) -> new Sum(a.millis + b.millis, a.samples + b.samples));
    }

    boolean isEmpty() {
        return blocks.isEmpty();
    }

    int size() {
        return blocks.size();
    }

    /** The block a client belongs to, as CIDR text: {@code 1.2.3.0/24}, or the /48 of an IPv6 address. */
    static String block(InetAddress client) {
        byte[] a = client.getAddress();
        int bits = client instanceof Inet4Address ? 24 : 48;
        for (int i = bits / 8; i < a.length; i++) {
            a[i] = 0;
        }
        try {
            return InetAddress.getByAddress(a).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes are always an address
        }
    }

    /**
     * JSON arrays of at most {@code maxChars} characters each (the DNS admin port takes small
     * bodies), e.g. {@code [{"node":"sh-telecom","client":"1.2.3.0/24","rtt_ms":12.5,"samples":40}]}.
     */
    List<String> json(String node, int maxChars) {
        List<String> bodies = new ArrayList<>();
        StringBuilder body = new StringBuilder("[");
        for (Map.Entry<String, Sum> e : blocks.entrySet()) {
            Sum s = e.getValue();
            String item = String.format(Locale.ROOT, "{\"node\":\"%s\",\"client\":\"%s\",\"rtt_ms\":%.3f,\"samples\":%d}",
                    node, e.getKey(), Math.max(0.001, s.millis / s.samples), s.samples);
            if (body.length() > 1 && body.length() + item.length() + 2 > maxChars) {
                bodies.add(body.append(']').toString());
                body = new StringBuilder("[");
            }
            body.append(body.length() > 1 ? "," : "").append(item);
        }
        if (body.length() > 1) {
            bodies.add(body.append(']').toString());
        }
        return bodies;
    }
}
