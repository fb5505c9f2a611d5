package yunjing.proxy.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9111 rules of a shared cache, one rule (and its section) per test. */
class CachePolicyTest {

    private static final long T0 = 1_700_000_000_000L; // a whole second
    private static final long DAY = 86_400_000L;

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    private static String date(long millis) {
        return DateFormatter.format(new Date(millis));
    }

    private static boolean storable(HttpHeaders request, int status, HttpHeaders response) {
        return CachePolicy.storable(request, CacheControl.parse(request), status, response, CacheControl.parse(response));
    }

    private static long lifetime(int status, HttpHeaders response) {
        return CachePolicy.freshnessLifetime(status, response, CacheControl.parse(response), T0, DAY, 10_000);
    }

    // §3: what may be stored

    @Test
    void storable_onlyGetAndHeadAreCacheableMethods() {
        assertTrue(CachePolicy.cacheableMethod(HttpMethod.GET));
        assertTrue(CachePolicy.cacheableMethod(HttpMethod.HEAD));
        assertFalse(CachePolicy.cacheableMethod(HttpMethod.POST));
        assertFalse(CachePolicy.cacheableMethod(HttpMethod.PUT));
    }

    @Test
    void storable_maxAgeResponse_isStorable() {
        assertTrue(storable(headers(), 200, headers("Cache-Control", "max-age=60")));
    }

    @Test
    void storable_noStoreInResponseOrRequest_isNot() {
        assertFalse(storable(headers(), 200, headers("Cache-Control", "max-age=60, no-store")));
        assertFalse(storable(headers("Cache-Control", "no-store"), 200, headers("Cache-Control", "max-age=60")));
    }

    @Test
    void storable_private_isNotStoredByASharedCache() {
        assertFalse(storable(headers(), 200, headers("Cache-Control", "private, max-age=60")));
        assertFalse(storable(headers(), 200, headers("Cache-Control", "PRIVATE=\"set-cookie\", max-age=60")));
    }

    @Test
    void storable_authorizedRequest_onlyWithPublicSMaxAgeOrMustRevalidate() {
        HttpHeaders auth = headers("Authorization", "Bearer x");
        assertFalse(storable(auth, 200, headers("Cache-Control", "max-age=60")));
        assertTrue(storable(auth, 200, headers("Cache-Control", "public, max-age=60")));
        assertTrue(storable(auth, 200, headers("Cache-Control", "s-maxage=60")));
        assertTrue(storable(auth, 200, headers("Cache-Control", "max-age=60, must-revalidate")));
    }

    @Test
    void storable_withoutExplicitFreshness_onlyForHeuristicallyCacheableStatuses() {
        assertTrue(storable(headers(), 200, headers()));
        assertTrue(storable(headers(), 404, headers()));
        assertFalse(storable(headers(), 302, headers()));
        assertFalse(storable(headers(), 500, headers()));
        assertTrue(storable(headers(), 302, headers("Expires", date(T0 + 60_000))));
    }

    @Test
    void storable_partialContentAnd304_areNot() {
        assertFalse(storable(headers(), 206, headers("Cache-Control", "max-age=60")));
        assertFalse(storable(headers(), 304, headers("Cache-Control", "max-age=60")));
    }

    @Test
    void storable_varyStar_isNot() {
        assertFalse(storable(headers(), 200, headers("Cache-Control", "max-age=60", "Vary", "Accept, *")));
    }

    @Test
    void worthStoring_eventStreamsAndUnreusableResponses_areNot() {
        assertFalse(CachePolicy.worthStoring(headers("Content-Type", "text/event-stream"), 60_000));
        assertFalse(CachePolicy.worthStoring(headers(), 0));
        assertTrue(CachePolicy.worthStoring(headers("ETag", "\"a\""), 0));
        assertTrue(CachePolicy.worthStoring(headers(), 1000));
    }

    // §4.2.1: freshness lifetime

    @Test
    void lifetime_sMaxAgeWinsOverMaxAgeWinsOverExpires() {
        HttpHeaders all = headers("Cache-Control", "max-age=60, s-maxage=120", "Date", date(T0), "Expires", date(T0 + 30_000));
        assertEquals(120_000, lifetime(200, all));
        HttpHeaders maxAge = headers("Cache-Control", "max-age=60", "Date", date(T0), "Expires", date(T0 + 30_000));
        assertEquals(60_000, lifetime(200, maxAge));
    }

    @Test
    void lifetime_expiresMinusDate() {
        assertEquals(30_000, lifetime(200, headers("Date", date(T0 - 5000), "Expires", date(T0 + 25_000))));
    }

    @Test
    void lifetime_invalidExpires_meansAlreadyExpired() {
        // §5.3: "Expires: 0" is an invalid date, which represents a time in the past.
        assertEquals(0, lifetime(200, headers("Date", date(T0), "Expires", "0")));
    }

    @Test
    void lifetime_duplicateOrInvalidMaxAge_meansStale() {
        // §4.2.1: conflicting duplicates → stale; §1.2.2: not delta-seconds → invalid.
        assertEquals(0, lifetime(200, headers("Cache-Control", "max-age=60", "Cache-Control", "max-age=120")));
        assertEquals(0, lifetime(200, headers("Cache-Control", "max-age=abc")));
    }

    @Test
    void lifetime_heuristic_isTenPercentOfTimeSinceLastModified() {
        // §4.2.2: Last-Modified 10 000 s before Date → 1000 s.
        assertEquals(1_000_000, lifetime(200, headers("Date", date(T0), "Last-Modified", date(T0 - 10_000_000))));
    }

    @Test
    void lifetime_heuristic_isCapped() {
        assertEquals(DAY, lifetime(200, headers("Date", date(T0), "Last-Modified", date(T0 - 1000 * DAY))));
    }

    @Test
    void lifetime_heuristic_notForStatusesThatAreNotHeuristicallyCacheable() {
        assertEquals(0, lifetime(302, headers("Date", date(T0), "Last-Modified", date(T0 - 10_000_000))));
    }

    @Test
    void lifetime_404WithoutExplicitFreshness_isTheNegativeTtl() {
        assertEquals(10_000, lifetime(404, headers("Date", date(T0))));
        assertEquals(60_000, lifetime(404, headers("Cache-Control", "max-age=60")));
    }

    // §4.2.3: age

    @Test
    void currentAge_addsAgeHeaderResponseDelayAndResidentTime() {
        // Age 30 s, 2 s between request and response, 10 s in the cache → 42 s.
        HttpHeaders response = headers("Date", date(T0), "Age", "30");
        assertEquals(42_000, CachePolicy.currentAge(response, T0 - 2000, T0, T0 + 10_000));
    }

    @Test
    void currentAge_apparentAgeFromDate_whenLargerThanTheCorrectedAge() {
        // The Date is 100 s before the response arrived; no Age field.
        HttpHeaders response = headers("Date", date(T0 - 100_000));
        assertEquals(100_000, CachePolicy.currentAge(response, T0, T0, T0));
    }

    @Test
    void currentAge_invalidAge_isIgnored() {
        assertEquals(0, CachePolicy.currentAge(headers("Date", date(T0), "Age", "-5"), T0, T0, T0));
    }

    // §5.2.1: request directives

    @Test
    void requestAccepts_freshResponseByDefault_staleNot() {
        assertTrue(CachePolicy.requestAccepts(CacheControl.EMPTY, 60_000, 10_000, false));
        assertFalse(CachePolicy.requestAccepts(CacheControl.EMPTY, 60_000, 60_000, false));
    }

    @Test
    void requestAccepts_noCacheAndMaxAgeZero_forceValidation_unlessImmutable() {
        assertFalse(CachePolicy.requestAccepts(CacheControl.parse("no-cache"), 60_000, 1000, false));
        assertFalse(CachePolicy.requestAccepts(CacheControl.parse("max-age=0"), 60_000, 1000, false));
        // RFC 8246 §2: a fresh immutable response needs no revalidation on reload.
        assertTrue(CachePolicy.requestAccepts(CacheControl.parse("no-cache"), 60_000, 1000, true));
    }

    @Test
    void requestAccepts_minFreshAndMaxStale() {
        assertFalse(CachePolicy.requestAccepts(CacheControl.parse("min-fresh=30"), 60_000, 40_000, false));
        assertTrue(CachePolicy.requestAccepts(CacheControl.parse("max-stale=10"), 60_000, 65_000, false));
        assertFalse(CachePolicy.requestAccepts(CacheControl.parse("max-stale=10"), 60_000, 75_000, false));
        assertTrue(CachePolicy.requestAccepts(CacheControl.parse("max-stale"), 60_000, 1_000_000, false));
    }

    // §5.2.2 and RFC 5861: serving stale

    @Test
    void staleServable_notWithMustRevalidateProxyRevalidateSMaxAgeOrNoCache() {
        assertTrue(CachePolicy.staleServable(CacheControl.parse("max-age=60")));
        assertFalse(CachePolicy.staleServable(CacheControl.parse("max-age=60, must-revalidate")));
        assertFalse(CachePolicy.staleServable(CacheControl.parse("proxy-revalidate")));
        assertFalse(CachePolicy.staleServable(CacheControl.parse("s-maxage=60")));
        assertFalse(CachePolicy.staleServable(CacheControl.parse("no-cache")));
    }

    @Test
    void staleIfError_usesTheResponsesOwnBoundCappedByTheConfig() {
        assertEquals(30_000, CachePolicy.staleIfError(CacheControl.parse("max-age=1, stale-if-error=30"), 600_000));
        assertEquals(600_000, CachePolicy.staleIfError(CacheControl.parse("max-age=1, stale-if-error=3000"), 600_000));
        assertEquals(600_000, CachePolicy.staleIfError(CacheControl.parse("max-age=1"), 600_000));
        assertEquals(0, CachePolicy.staleIfError(CacheControl.parse("max-age=1, must-revalidate"), 600_000));
    }

    @Test
    void staleWhileRevalidate_onlyWhenGiven() {
        assertEquals(30_000, CachePolicy.staleWhileRevalidate(CacheControl.parse("max-age=1, stale-while-revalidate=30")));
        assertEquals(0, CachePolicy.staleWhileRevalidate(CacheControl.parse("max-age=1")));
    }

    // Vary and conditionals

    @Test
    void varyNames_lowerCasedSortedAndStarIsNull() {
        assertEquals(List.of("accept", "accept-encoding"), CachePolicy.varyNames(headers("Vary", "Accept-Encoding, ACCEPT")));
        assertNull(CachePolicy.varyNames(headers("Vary", "*")));
    }

    @Test
    void notModified_ifNoneMatchUsesWeakComparison_andWinsOverIfModifiedSince() {
        HttpHeaders stored = headers("ETag", "W/\"v1\"", "Last-Modified", date(T0));
        assertTrue(CachePolicy.notModified(headers("If-None-Match", "\"v0\", \"v1\""), stored));
        assertFalse(CachePolicy.notModified(headers("If-None-Match", "\"v2\"", "If-Modified-Since", date(T0)), stored));
        assertTrue(CachePolicy.notModified(headers("If-Modified-Since", date(T0)), stored));
        assertFalse(CachePolicy.notModified(headers("If-Modified-Since", date(T0 - 1000)), stored));
    }

    @Test
    void cacheControl_parsesQuotedArgumentsAndCaseInsensitiveNames() {
        CacheControl cc = CacheControl.parse("No-Cache=\"Set-Cookie, X\", MAX-AGE=5, community=\"UCI\"");
        assertTrue(cc.has("no-cache"));
        assertEquals(5, cc.seconds("max-age"));
        assertTrue(cc.has("community"));
        assertEquals(-1, cc.seconds("s-maxage"));
    }
}
