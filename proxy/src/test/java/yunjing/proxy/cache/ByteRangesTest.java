package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9110 §14.1.2 and §13.1.5, with the examples of §14.1.2 on a 10000-byte representation. */
class ByteRangesTest {

    @Test
    void rfcExamples_selectTheDocumentedBytes() {
        assertArrayEquals(new long[] {0, 499}, ByteRanges.resolve("bytes=0-499", 10000));
        assertArrayEquals(new long[] {500, 999}, ByteRanges.resolve("bytes=500-999", 10000));
        assertArrayEquals(new long[] {9500, 9999}, ByteRanges.resolve("bytes=-500", 10000));
        assertArrayEquals(new long[] {9500, 9999}, ByteRanges.resolve("bytes=9500-", 10000));
        assertArrayEquals(new long[] {0, 0}, ByteRanges.resolve("bytes=0-0", 10000));
        assertArrayEquals(new long[] {9999, 9999}, ByteRanges.resolve("bytes=-1", 10000));
    }

    @Test
    void lastPosBeyondTheEnd_isClamped_andSuffixLongerThanTheBody_isAllOfIt() {
        assertArrayEquals(new long[] {100, 9999}, ByteRanges.resolve("bytes=100-99999999999999999999999", 10000));
        assertArrayEquals(new long[] {0, 9999}, ByteRanges.resolve("bytes=-20000", 10000));
        assertArrayEquals(new long[] {5, 9}, ByteRanges.resolve("Bytes= 5 - 9 ", 10000));
    }

    @Test
    void unsatisfiable_whenFirstPosIsPastTheEnd_orSuffixIsZero_orBodyIsEmpty() {
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.resolve("bytes=10000-", 10000));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.resolve("bytes=10000-10005", 10000));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.resolve("bytes=-0", 10000));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.resolve("bytes=-5", 0));
        assertSame(ByteRanges.UNSATISFIABLE, ByteRanges.resolve("bytes=0-", 0));
    }

    @Test
    void invalidOrMultipleRanges_areIgnored() {
        for (String range : new String[] {"bytes=0-1,5-9", "bytes=500-499", "items=0-5", "bytes=", "bytes=a-b",
                "bytes=-", "bytes=5", "bytes=+1-2", "bytes=1--2", "0-5"}) {
            assertNull(ByteRanges.resolve(range, 10000), range);
        }
        // Empty list elements do not make a second range (RFC 9110 §5.6.1).
        assertArrayEquals(new long[] {0, 4}, ByteRanges.resolve("bytes=0-4,", 10000));
    }

    @Test
    void ifRange_strongTagOrExactDateMatches_weakNever() {
        HttpHeaders stored = new DefaultHttpHeaders().set("ETag", "\"abc\"")
                .set("Last-Modified", "Sun, 01 Nov 2026 10:00:00 GMT");
        assertTrue(ByteRanges.ifRangeAllows(new DefaultHttpHeaders(), stored));
        assertTrue(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "\"abc\""), stored));
        assertTrue(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "Sun, 01 Nov 2026 10:00:00 GMT"), stored));
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "\"abd\""), stored));
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "W/\"abc\""), stored));
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "Sun, 01 Nov 2026 10:00:01 GMT"), stored));
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "not a date"), stored));
        HttpHeaders weak = new DefaultHttpHeaders().set("ETag", "W/\"abc\"");
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "W/\"abc\""), weak));
        assertFalse(ByteRanges.ifRangeAllows(new DefaultHttpHeaders().set("If-Range", "\"abc\""), new DefaultHttpHeaders()));
    }
}
