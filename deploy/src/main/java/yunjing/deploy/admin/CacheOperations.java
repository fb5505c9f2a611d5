package yunjing.deploy.admin;

import java.util.Map;

/** What the admin port may ask of a role's cache; proxies have one, other roles none. */
public interface CacheOperations {

    /** Removes every variant of one URL ({@code host/path?query} or an absolute URL); returns entries removed. */
    int purge(String url);

    /** Removes every entry whose key starts with {@code hostAndPathPrefix}; returns entries removed. */
    int purgePrefix(String hostAndPathPrefix);

    /** Cache statistics as name → number, for {@code GET /cache/stats}. */
    Map<String, Object> stats();
}
