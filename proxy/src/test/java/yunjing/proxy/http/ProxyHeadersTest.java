package yunjing.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Via, Forwarded, X-Request-Id, Cache-Status and the error body. */
class ProxyHeadersTest {

    @Test
    void appendListMember_joinsExistingFieldLinesAndAppendsLast() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Via", "1.1 bj-central").add("Via", "1.1 gz-regional");

        ProxyHeaders.appendListMember(headers, "via", "1.1 gz-unicom");

        assertEquals(1, headers.getAll("via").size());
        assertEquals("1.1 bj-central, 1.1 gz-regional, 1.1 gz-unicom", headers.get("via"));
    }

    @Test
    void appendListMember_onAbsentField_setsIt() {
        HttpHeaders headers = new DefaultHttpHeaders();
        ProxyHeaders.appendListMember(headers, ProxyHeaders.CACHE_STATUS, "gz-unicom; fwd=bypass");
        assertEquals("gz-unicom; fwd=bypass", headers.get("cache-status"));
    }

    @Test
    void forwardedElement_quotesAndBracketsIpv6() throws Exception {
        var v6 = new InetSocketAddress(InetAddress.getByName("2001:db8:cafe::17"), 4711);
        var v4 = new InetSocketAddress(InetAddress.getByName("192.0.2.60"), 4711);

        assertEquals("for=\"[2001:db8:cafe:0:0:0:0:17]\";by=gz-unicom;proto=https",
                ProxyHeaders.forwardedElement(v6, "gz-unicom", "https"));
        assertEquals("for=192.0.2.60;by=gz-unicom;proto=http", ProxyHeaders.forwardedElement(v4, "gz-unicom", "http"));
        assertEquals("for=unknown;by=gz-unicom;proto=http", ProxyHeaders.forwardedElement(null, "gz-unicom", "http"));
    }

    @Test
    void requestId_keepsASaneIncomingId_elseMakesAUuid() {
        assertEquals("abc-123", ProxyHeaders.requestId(new DefaultHttpHeaders().add("X-Request-Id", "abc-123")));
        String made = ProxyHeaders.requestId(new DefaultHttpHeaders());
        assertEquals(made, UUID.fromString(made).toString());
        String replaced = ProxyHeaders.requestId(new DefaultHttpHeaders().add("X-Request-Id", "has space"));
        assertNotEquals("has space", replaced);
    }

    @Test
    void errorResponse_isOpenAiShapedJson_andReleasable() {
        FullHttpResponse response = ErrorResponses.badGateway(ByteBufAllocator.DEFAULT, "parent \"bj\" down\n");
        try {
            assertEquals(502, response.status().code());
            assertEquals("application/json", response.headers().get("content-type"));
            String body = response.content().toString(StandardCharsets.UTF_8);
            assertEquals("{\"error\":{\"message\":\"parent \\\"bj\\\" down\\n\",\"type\":\"upstream_error\",\"code\":\"bad_gateway\"}}", body);
            assertEquals(body.length(), response.headers().getInt("content-length"));
        } finally {
            response.release();
        }
        assertEquals(0, response.refCnt());
    }
}
