package yunjing.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Removes the header fields that describe one connection rather than the message, before a message
 * is forwarded on another connection. See https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1.
 */
public final class HopByHopHeaders {

    /** Prefix of the extension headers Netty's HTTP/2 ↔ HTTP/1 conversion adds (x-http2-stream-id, …). */
    private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";

    private static final List<AsciiString> ALWAYS = List.of(
            HttpHeaderNames.CONNECTION,
            AsciiString.cached("keep-alive"),        // RFC 9112 §C.2.2 (Netty deprecates its constant)
            AsciiString.cached("proxy-connection"),  // never standard, still sent by some clients
            HttpHeaderNames.TE,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE,
            // Sent with Upgrade: h2c and connection-specific by definition, https://www.rfc-editor.org/rfc/rfc7540#section-3.2.1
            AsciiString.cached("http2-settings"));

    private HopByHopHeaders() {
    }

    /**
     * Strips hop-by-hop fields in place: {@code Connection} and every field it names, the fields
     * RFC 9110 §7.6.1 lists, and HTTP/2 pseudo-header leftovers.
     *
     * @return whether the message asked for trailers with {@code TE: trailers} (RFC 9110 §10.1.4), which a
     *         request may carry onwards
     */
    public static boolean strip(HttpHeaders headers) {
        boolean teTrailers = false;
        for (String te : headers.getAll(HttpHeaderNames.TE)) {
            for (String token : te.split(",")) {
                String coding = token.strip();
                int params = coding.indexOf(';');
                if (params >= 0) {
                    coding = coding.substring(0, params).strip();
                }
                if (coding.equalsIgnoreCase(HttpHeaderValues.TRAILERS.toString())) {
                    teTrailers = true;
                }
            }
        }
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String option : connection.split(",")) {
                String name = option.strip();
                if (!name.isEmpty()) {
                    headers.remove(name);
                }
            }
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        // Names read as they are stored (no String per field): this runs twice on every request.
        List<String> leftovers = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if ((!name.isEmpty() && name.charAt(0) == ':') || AsciiString.regionMatches(name, true, 0,
                    HTTP2_EXTENSION_PREFIX, 0, HTTP2_EXTENSION_PREFIX.length())) {
                if (leftovers == null) {
                    leftovers = new ArrayList<>();
                }
                leftovers.add(name.toString());
            }
        }
        if (leftovers != null) {
            leftovers.forEach(headers::remove);
        }
        return teTrailers;
    }
}
