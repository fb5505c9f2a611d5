package yunjing.proxy;

/**
 * What warming one URL did ({@link ProxyServer#warm}).
 *
 * @param url         the URL as given
 * @param status      the status the cache answered with, 0 when it gave none
 * @param bytes       body bytes received (and discarded) by the warm-up client
 * @param cacheStatus this node's {@code Cache-Status} member ({@code fwd=miss; stored}, {@code hit} …), or null
 * @param error       why it failed (upstream failure, not cacheable), or null
 */
public record WarmResult(String url, int status, long bytes, String cacheStatus, String error) {

    /** Whether the object is now in this node's cache: answered 2xx from it or stored by this fetch. */
    public boolean cached() {
        return error == null && status >= 200 && status < 300 && cacheStatus != null
                && (cacheStatus.equals("hit") || cacheStatus.contains("stored") || cacheStatus.contains("fwd-status=304"));
    }
}
