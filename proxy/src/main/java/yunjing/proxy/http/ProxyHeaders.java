package yunjing.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The headers a proxy adds to what it forwards so that the path of a request can be traced:
 * {@code Via}, {@code Forwarded}, {@code X-Request-Id} and {@code Cache-Status}.
 */
public final class ProxyHeaders {

    public static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    /** The admitted key's plan priority, set by the API edge (clients' copies are stripped there). */
    public static final AsciiString X_YUNJING_PRIORITY = AsciiString.cached("x-yunjing-priority");
    /** The admitted key's id (never its secret), set by the API edge. */
    public static final AsciiString X_YUNJING_KEY_ID = AsciiString.cached("x-yunjing-key-id");
    /**
     * A chat conversation's session affinity key, set by the API edge (clients' copies are stripped
     * there); every tier chooses its parent by it (see {@code upstream.SessionAffinity}).
     */
    public static final AsciiString X_YUNJING_AFFINITY = AsciiString.cached("x-yunjing-affinity");
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    public static final AsciiString CACHE_STATUS = AsciiString.cached("cache-status");

    private ProxyHeaders() {
    }

    /**
     * Appends one member to a list-valued field, joining any field lines already there into one line.
     * Recipients may combine field lines of a list-based field that way:
     * https://www.rfc-editor.org/rfc/rfc9110#section-5.3. Members are kept in the order received,
     * so that {@code Via} reads from the first recipient to the last
     * (https://www.rfc-editor.org/rfc/rfc9110#section-7.6.3) and {@code Cache-Status} from the cache
     * closest to the origin to the one closest to the user (https://www.rfc-editor.org/rfc/rfc9211#section-2).
     */
    public static void appendListMember(HttpHeaders headers, CharSequence name, String member) {
        List<String> lines = headers.getAll(name);
        StringBuilder value = new StringBuilder();
        for (String line : lines) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty()) {
                value.append(trimmed).append(", ");
            }
        }
        headers.set(name, value.append(member).toString());
    }

    /**
     * One cache's member of a {@code Cache-Status} value, without the cache name: the last member named
     * {@code nodeId} (members are appended hop by hop, https://www.rfc-editor.org/rfc/rfc9211#section-2),
     * e.g. {@code hit} or {@code fwd=miss; stored}; null when there is none.
     */
    public static String cacheStatusOf(String value, String nodeId) {
        if (value == null) {
            return null;
        }
        String prefix = nodeId + ";";
        String found = null;
        for (String member : value.split(",")) {
            String m = member.strip();
            if (m.startsWith(prefix)) {
                found = m.substring(prefix.length()).strip();
            }
        }
        return found;
    }

    /**
     * The request id to use: the incoming {@code X-Request-Id} when it is present and sane, else a new
     * random UUID. The edge generates it; every tier behind it keeps it.
     */
    public static String requestId(HttpHeaders headers) {
        String id = headers.get(X_REQUEST_ID);
        if (id != null) {
            id = id.strip();
            if (!id.isEmpty() && id.length() <= 200 && id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                return id;
            }
        }
        // A random (version 4) UUID, but from ThreadLocalRandom: UUID.randomUUID() draws on a shared, locked
        // SecureRandom on every request, and a request id only has to be unique, not unpredictable.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48);
        return new UUID(high, low).toString();
    }

    /**
     * One {@code Forwarded} element for a request this node received from {@code client}:
     * {@code for=<client>;by=<nodeId>;proto=<http|https>}. IPv6 addresses are bracketed and quoted as
     * https://www.rfc-editor.org/rfc/rfc7239#section-6 requires; an unknown peer is {@code unknown}
     * (§6.2). The node id goes into {@code by} as configured: it is a token (checked by the config).
     */
    public static String forwardedElement(SocketAddress client, String nodeId, String proto) {
        return "for=" + forwardedNode(client) + ";by=" + nodeId + ";proto=" + proto;
    }

    static String forwardedNode(SocketAddress client) {
        if (!(client instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return "unknown";
        }
        InetAddress address = inet.getAddress();
        if (address instanceof Inet6Address) {
            String text = address.getHostAddress();
            int scope = text.indexOf('%');
            if (scope >= 0) {
                text = text.substring(0, scope);
            }
            return "\"[" + text + "]\"";
        }
        return address.getHostAddress();
    }
}
