package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnsafeInvalidationTest {

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void safeMethodsAndErrorsDoNotInvalidate() {
        for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE)) {
            assertFalse(UnsafeInvalidation.isUnsafe(m), m.name());
        }
        for (HttpMethod m : List.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH,
                HttpMethod.valueOf("PURGE"))) {
            assertTrue(UnsafeInvalidation.isUnsafe(m), m.name());
        }
        assertTrue(UnsafeInvalidation.invalidates(200));
        assertTrue(UnsafeInvalidation.invalidates(303));
        assertFalse(UnsafeInvalidation.invalidates(404));
        assertFalse(UnsafeInvalidation.invalidates(502));
        assertFalse(UnsafeInvalidation.invalidates(101));
    }

    @Test
    void locationAndContentLocation_onTheSameHost_resolveAgainstTheTarget() {
        assertEquals(List.of("/a/b?x=1", "/a/c", "/d?y=2"), UnsafeInvalidation.targets("Mirror.test:8080", "/a/b?x=1",
                headers("Location", "c", "Content-Location", "http://mirror.test:8080/d?y=2")));
        assertEquals(List.of("/a/b"), UnsafeInvalidation.targets("mirror.test", "/a/b",
                headers("Location", "http://other.test/a/c", "Content-Location", "https://mirror.test:8443/x")),
                "another host or port is not ours to invalidate");
        assertEquals(List.of("/a/b"), UnsafeInvalidation.targets("mirror.test", "/a/b",
                headers("Location", "http://[bad", "Content-Location", "/a/b")), "malformed and duplicate skipped");
    }
}
