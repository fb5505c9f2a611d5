package yunjing.dns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import yunjing.dns.steer.RttTable;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One edge's measurement: clients of {@code client} (a CIDR block) reached {@code node} in
 * {@code rttMillis} on average over {@code samples} connections. The wire form, as edges POST it to
 * the DNS admin port's {@code /rtt}, is a JSON array:
 * {@code [{"node":"sh-telecom","client":"1.2.3.0/24","rtt_ms":12.5,"samples":40}]}.
 */
public record RttReport(String node, InetAddress client, int prefixLength, double rttMillis, int samples) {

    /** Most reports in one request: bounds the work one POST can cause. */
    public static final int MAX_PER_REQUEST = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    public RttReport {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(client, "client");
        int bits = client.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("client prefix /" + prefixLength + " (expected: 0–" + bits + ")");
        }
        if (!(rttMillis > 0 && rttMillis <= RttTable.MAX_RTT_MILLIS)) {
            throw new IllegalArgumentException("rtt_ms: " + rttMillis + " (expected: > 0 and <= " + RttTable.MAX_RTT_MILLIS + ")");
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples: " + samples + " (expected: >= 1)");
        }
    }

    /**
     * Parses a request body.
     *
     * @throws IllegalArgumentException naming the first bad element and why
     */
    public static List<RttReport> parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("expected: a JSON array of {node, client, rtt_ms, samples}");
        }
        if (root.size() > MAX_PER_REQUEST) {
            throw new IllegalArgumentException(root.size() + " reports (expected: at most " + MAX_PER_REQUEST + " per request)");
        }
        List<RttReport> reports = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            try {
                reports.add(of(r));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("report " + i + ": " + e.getMessage());
            }
        }
        return reports;
    }

    private static RttReport of(JsonNode r) {
        if (!r.isObject()) {
            throw new IllegalArgumentException("expected: an object");
        }
        String node = text(r, "node");
        String client = text(r, "client");
        JsonNode rtt = r.get("rtt_ms");
        if (rtt == null || !rtt.isNumber()) {
            throw new IllegalArgumentException("rtt_ms: missing or not a number");
        }
        JsonNode samples = r.get("samples");
        if (samples != null && !samples.canConvertToInt()) {
            throw new IllegalArgumentException("samples: not an integer");
        }
        int slash = client.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("client: " + client + " (expected: a CIDR block such as 1.2.3.0/24)");
        }
        String address = client.substring(0, slash);
        if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw new IllegalArgumentException("client: " + client + " (expected: an IPv4 or IPv6 literal before the /)");
        }
        int prefix;
        InetAddress ip;
        try {
            prefix = Integer.parseInt(client.substring(slash + 1));
            ip = InetAddress.getByName(address); // a literal: no lookup
        } catch (NumberFormatException | UnknownHostException e) {
            throw new IllegalArgumentException("client: " + client + " (expected: a CIDR block such as 1.2.3.0/24)");
        }
        return new RttReport(node, ip, prefix, rtt.asDouble(), samples == null ? 1 : samples.asInt());
    }

    private static String text(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(field + ": missing or not a string");
        }
        return v.asText();
    }
}
