package yunjing.proxy.accesslog;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Formats an {@link AccessEntry} as one JSON line. Used by the log's writer thread only. */
final class AccessLine {

    /** ISO-8601 in UTC, always with milliseconds (ISO_INSTANT drops zero fractions). */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final String nodeId;

    AccessLine(String nodeId) {
        this.nodeId = nodeId;
    }

    void write(JsonGenerator out, AccessEntry e) throws IOException {
        out.writeStartObject();
        out.writeStringField("time", TIME.format(Instant.ofEpochMilli(e.startMillis())));
        out.writeStringField("node", nodeId);
        out.writeStringField("request_id", e.requestId());
        out.writeStringField("client", e.client());
        out.writeStringField("protocol", e.protocol());
        out.writeBooleanField("tls", e.tls());
        out.writeStringField("method", e.method());
        out.writeStringField("host", e.host());
        out.writeStringField("target", e.target());
        out.writeNumberField("status", e.status());
        out.writeNumberField("bytes", e.bytes());
        out.writeNumberField("duration_ms", millis(e.durationNanos()));
        if (e.firstByteNanos() >= 0) {
            out.writeNumberField("ttfb_ms", millis(e.firstByteNanos()));
        } else {
            out.writeNullField("ttfb_ms");
        }
        out.writeStringField("cache", e.cacheStatus());
        out.writeStringField("parent", e.parent());
        out.writeStringField("user_agent", e.userAgent());
        if (e.keyId() != null) {
            out.writeStringField("key_id", e.keyId());
        }
        if (e.model() != null) {
            out.writeStringField("model", e.model());
        }
        out.writeStringField("outcome", e.outcome());
        out.writeEndObject();
        out.writeRaw('\n');
    }

    /** Milliseconds with microsecond resolution. */
    private static double millis(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0;
    }
}
