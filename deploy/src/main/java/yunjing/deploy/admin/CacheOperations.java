package yunjing.deploy.admin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What the admin port may ask of a role's cache; proxies have one, other roles none. */
public interface CacheOperations {

    /** Removes every variant of one URL ({@code host/path?query} or an absolute URL); returns entries removed. */
    int purge(String url);

    /** Removes every entry whose key starts with {@code hostAndPathPrefix}; returns entries removed. */
    int purgePrefix(String hostAndPathPrefix);

    /** Removes every response naming this SHA-256 (64 hex digits) and the slices stored under it; returns entries removed. */
    int purgeDigest(String sha256);

    /** Cache statistics as name → number, for {@code GET /cache/stats}. */
    Map<String, Object> stats();

    /**
     * Prefetches URLs into the cache; completes (never exceptionally) with one result per URL, in order, as
     * name → value ({@code url}, {@code status}, {@code bytes}, {@code cache_status}, {@code cached},
     * {@code error}). Never blocks.
     *
     * @throws IllegalArgumentException bad input (no URLs, too many, a URL without a host); answered 400
     */
    CompletableFuture<List<Map<String, Object>>> warm(List<String> urls);
}
