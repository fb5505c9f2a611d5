package yunjing.proxy.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The strong SHA-256 digest a response names for its body, if any: {@code X-Linked-Etag} (the Hugging Face
 * hub's header for large files: the file's sha256 in quotes), {@code Repr-Digest: sha-256=:base64:}
 * (RFC 9530 §3), or a strong {@code ETag} that is 64 hex digits. The first one found wins, in that order.
 * Such a body is checked while it fills and stored once for every URL naming it: as slices ({@link Slices}) when
 * large, else whole ({@link DigestBodies}).
 */
final class Digests {

    private static final Pattern HEX64 = Pattern.compile("\"?([0-9a-fA-F]{64})\"?");
    private static final Pattern REPR_SHA256 = Pattern.compile("(?:^|,)\\s*sha-256\\s*=\\s*:([A-Za-z0-9+/=]+):");
    static final CharSequence X_LINKED_ETAG = "x-linked-etag";
    static final CharSequence REPR_DIGEST = "repr-digest";

    private Digests() {
    }

    /** The lower-case hex SHA-256 the response names, or null. */
    static String sha256(HttpHeaders response) {
        String linked = response.get(X_LINKED_ETAG);
        if (linked != null) {
            String hex = hex64(linked.strip());
            if (hex != null) {
                return hex;
            }
        }
        String repr = response.get(REPR_DIGEST);
        if (repr != null) {
            Matcher m = REPR_SHA256.matcher(repr);
            if (m.find()) {
                try {
                    byte[] digest = Base64.getDecoder().decode(m.group(1));
                    if (digest.length == 32) {
                        return HexFormat.of().formatHex(digest);
                    }
                } catch (IllegalArgumentException e) {
                    // not base64: no digest named
                }
            }
        }
        String etag = response.get(HttpHeaderNames.ETAG);
        return etag == null || etag.startsWith("W/") ? null : hex64(etag.strip());
    }

    private static String hex64(String value) {
        Matcher m = HEX64.matcher(value);
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    /** The primary key under which a body with this digest (its slices, or the whole body) is stored, for every URL naming it. */
    static String slicePrimary(String sha256) {
        return "#sha256:" + sha256;
    }
}
