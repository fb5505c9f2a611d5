package yunjing.deploy.admin;

import java.util.Map;

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
}
