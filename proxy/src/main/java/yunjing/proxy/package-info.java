/**
 * A yunjing proxy node: {@link yunjing.proxy.ProxyServer} started from a {@link yunjing.proxy.ProxyConfig}
 * with its {@link yunjing.proxy.ParentConfig parents} and {@link yunjing.proxy.CacheConfig cache}. These four
 * types are the module's API; the subpackages are internal ({@code server}: client-side listeners and the
 * forwarding handler; {@code cache}: the RFC 9111 cache, its tiers and request collapsing;
 * {@code upstream}: parent selection, connections, failover; {@code health}: parent health checks;
 * {@code http}: header rules and error bodies; {@code metrics}: meters).
 */
package yunjing.proxy;
