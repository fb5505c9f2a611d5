package yunjing.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestNetwork;
import yunjing.proxy.testing.TestOrigin;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A GET an edge forwards over h2c was sent as HEADERS plus an empty DATA frame, so the parent took it for
 * a request with a body and forwarded it past its cache ({@code fwd=bypass}): inner tiers never cached
 * anything for their children. Found by the access log during the cache-warming work.
 */
@ExtendWith(LeakCheck.class)
class Issue3H2TierCachingTest {

    @RegisterExtension
    static final TestNetwork NET = new TestNetwork("h2-tier-cache-test");

    @Test
    void getForwardedOverH2c_isCachedByTheParent() throws Exception {
        TestOrigin origin = NET.add(new TestOrigin());
        ProxyServer central = NET.startReady("central",
                Nodes.config("bj-central", "central", List.of(Nodes.origin(origin))), new SimpleMeterRegistry());
        ProxyServer edge = NET.startWithHealthyParents(Nodes.edge(List.of(Nodes.parent(central, "bj-central")),
                ApiAccess.OPEN, UpstreamConfig.DEFAULT.withHttp2(true)));
        String target = "/cached/h2?cc=max-age%3D60";

        HttpResponse<String> first = NET.get(edge, target);
        assertEquals("bj-central; fwd=miss; stored, gz-unicom; fwd=miss; stored",
                first.headers().firstValue("cache-status").orElse(""));
        edge.purge("127.0.0.1:" + edge.httpAddress().getPort() + target);
        HttpResponse<String> second = NET.get(edge, target);
        assertEquals("bj-central; hit, gz-unicom; fwd=miss; stored",
                second.headers().firstValue("cache-status").orElse(""));
        assertEquals(1, origin.fetchCount(target));
    }
}
