package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CacheKeyTest {

    @Test
    void primary_isLowerCasedHostPathAndQuery() {
        assertEquals("api.mirror.test/v1/models?x=1", CacheKey.primary("API.Mirror.test", "/v1/models?x=1"));
    }

    @Test
    void primary_removesDotSegments_rfc3986Section524Examples() {
        assertEquals("h/a/g", CacheKey.primary("h", "/a/b/c/./../../g"));
        assertEquals("h/mid/6", CacheKey.primary("h", "/mid/content=5/../6"));
        assertEquals("h/b", CacheKey.primary("h", "/../../b"));
        assertEquals("h/a/", CacheKey.primary("h", "/a/b/.."));
    }

    @Test
    void primary_decodesUnreservedEscapesAndUpperCasesOthers() {
        assertEquals(CacheKey.primary("h", "/~user/a%2Fb"), CacheKey.primary("h", "/%7euser/a%2fb"));
        // %2E%2E is ".." once decoded, so it cannot climb above the root or dodge the key.
        assertEquals("h/etc/passwd", CacheKey.primary("h", "/models/%2E%2E/etc/passwd"));
    }

    @Test
    void primary_badEscape_bypasses() {
        assertNull(CacheKey.primary("h", "/a%zz"));
        assertNull(CacheKey.primary("h", "/a%2"));
        assertNull(CacheKey.primary("h", "*"));
    }

    @Test
    void secondary_addsTheVaryFieldValues() {
        var en = new DefaultHttpHeaders().add("Accept-Language", "en");
        var de = new DefaultHttpHeaders().add("Accept-Language", "de");
        assertNotEquals(CacheKey.secondary("k", List.of("accept-language"), en),
                CacheKey.secondary("k", List.of("accept-language"), de));
        assertEquals("k", CacheKey.secondary("k", List.of(), en));
        // Whitespace around list commas does not split entries (RFC 9111 §4.1 normalisation).
        assertEquals(CacheKey.secondary("k", List.of("accept"), new DefaultHttpHeaders().add("Accept", "a, b")),
                CacheKey.secondary("k", List.of("accept"), new DefaultHttpHeaders().add("Accept", "a,b")));
    }
}
