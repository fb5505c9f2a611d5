package yunjing.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9110 §7.6.1: what a proxy must not forward. */
class HopByHopHeadersTest {

    @Test
    void strip_removesConnectionAndTheFieldsItNames() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Connection", "keep-alive, X-Hop")
                .add("Connection", "close")
                .add("X-Hop", "1")
                .add("Keep-Alive", "timeout=5")
                .add("Proxy-Connection", "keep-alive")
                .add("Transfer-Encoding", "chunked")
                .add("Upgrade", "h2c")
                .add("HTTP2-Settings", "AAMAAABkAAQAAP__")
                .add("X-End-To-End", "kept");

        boolean trailers = HopByHopHeaders.strip(headers);

        assertFalse(trailers);
        assertEquals(1, headers.size(), headers.toString());
        assertEquals("kept", headers.get("x-end-to-end"));
    }

    @Test
    void strip_removesHttp2ConversionLeftovers() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("x-http2-stream-id", "3")
                .add("x-http2-scheme", "https")
                .add("content-type", "application/json");

        HopByHopHeaders.strip(headers);

        assertEquals(1, headers.size(), headers.toString());
    }

    @Test
    void strip_reportsTeTrailersSoTheCallerMayKeepIt() {
        HttpHeaders headers = new DefaultHttpHeaders().add("TE", "gzip;q=0.5, trailers").add("Connection", "TE");

        assertTrue(HopByHopHeaders.strip(headers));
        assertFalse(headers.contains("te"));
        assertFalse(HopByHopHeaders.strip(new DefaultHttpHeaders().add("TE", "gzip")));
    }
}
