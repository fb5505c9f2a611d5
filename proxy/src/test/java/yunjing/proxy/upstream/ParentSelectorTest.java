package yunjing.proxy.upstream;

import org.junit.jupiter.api.Test;
import yunjing.proxy.ParentConfig;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParentSelectorTest {

    private static final ParentConfig SH = parent("sh-regional");
    private static final ParentConfig GZ = parent("gz-regional");
    private static final ParentConfig BJ = parent("bj-central");

    @Test
    void candidates_healthyInConfiguredOrderThenUnhealthyAsLastResort() {
        Set<String> healthy = Set.of("gz-regional", "bj-central");
        ParentSelector selector = new ParentSelector(List.of(SH, GZ, BJ), healthy::contains);

        assertEquals(List.of(GZ, BJ, SH), selector.candidates());
    }

    @Test
    void candidates_noneHealthy_keepsConfiguredOrder() {
        ParentSelector selector = new ParentSelector(List.of(SH, GZ), id -> false);
        assertEquals(List.of(SH, GZ), selector.candidates());
    }

    private static ParentConfig parent(String id) {
        return new ParentConfig(id, new InetSocketAddress("127.0.0.1", 1), URI.create("http://127.0.0.1:1/readyz"));
    }
}
