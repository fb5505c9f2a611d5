package yunjing.deploy.bench;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.deploy.bench.load.LoadPlan;
import yunjing.deploy.bench.load.LoadResult;
import yunjing.deploy.bench.load.LoadRunner;
import yunjing.deploy.bench.load.Sample;
import yunjing.deploy.bench.net.EmulatedNetwork;
import yunjing.deploy.bench.net.WanProfiles;
import yunjing.deploy.bench.wan.FaultPlan;
import yunjing.deploy.bench.wan.LinkProfile;
import yunjing.deploy.topology.TopologyLoader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny end-to-end benchmark run: the embedded topology behind WAN relays with short delays and no faults,
 * both paths side by side. Checks correctness, not timing: every request answered in full on both paths,
 * the DNS placing each client population on its own carrier's edge, and the mirror's caches keeping
 * repeated metadata off the cross-border link.
 */
class E2eScenarioTest {
    @TempDir
    static Path state;
    static EmulatedNetwork network;
    static LoadResult result;
    static final LoadPlan PLAN = new LoadPlan(3, 6, 2, 2, 2, 7);

    @BeforeAll
    static void run() throws Exception {
        LinkProfile border = new LinkProfile("border", Duration.ofMillis(10), Duration.ofMillis(2), 50_000_000L, FaultPlan.NONE);
        LinkProfile near = new LinkProfile("near", Duration.ofMillis(2), Duration.ZERO, 0, FaultPlan.NONE);
        network = EmulatedNetwork.start(TopologyLoader.loadEmbedded(), state, new WanProfiles(border, near, near, near),
                Duration.ofMillis(200), 1);
        result = new LoadRunner(network, "tiny-llama", "api.mirror.test").run(PLAN);
    }

    @AfterAll
    static void stop() {
        if (network != null) {
            network.close();
        }
    }

    @Test
    void everyRequest_onBothPaths_isAnsweredInFull() {
        int perPath = PLAN.metadataClients() * PLAN.metadataRequests() + PLAN.agents() * PLAN.agentSteps();
        assertEquals(2 * perPath, result.samples().size());
        for (Sample s : result.samples()) {
            assertTrue(s.ok(), "failed: " + s);
            assertTrue(s.ttfbNanos() > 0 && s.ttfbNanos() <= s.totalNanos(), "ttfb within total: " + s);
        }
        List<Sample> steps = result.samples().stream().filter(s -> s.workload().equals("agent-step")).toList();
        assertEquals(2 * PLAN.agents() * PLAN.agentSteps(), steps.size());
        steps.forEach(s -> assertTrue(s.ttftNanos() > 0 && s.ttftNanos() <= s.totalNanos(), "ttft measured: " + s));
    }

    @Test
    void dns_placesEachPopulationOnItsCarriersEdge() {
        assertTrue(result.placements().contains("shanghai-telecom -> 127.0.0.41"), result.placements().toString());
        assertTrue(result.placements().contains("guangdong-unicom -> 127.0.0.42"), result.placements().toString());
        assertTrue(result.placements().contains("beijing-mobile -> 127.0.0.43"), result.placements().toString());
    }

    @Test
    void mirror_keepsRepeatedMetadataOffTheBorderLink() {
        long mirrorMetadata = PLAN.metadataClients() * PLAN.metadataRequests();
        long crossed = network.relays().get("bj-central>origin").stats().turns();
        long agentSteps = (long) PLAN.agents() * PLAN.agentSteps();
        // Each agent step crosses once; the metadata (2 URLs) crosses only on the first misses.
        assertTrue(crossed - agentSteps < mirrorMetadata / 2,
                crossed + " requests crossed the border for " + mirrorMetadata + " metadata requests");
        long direct = network.relays().get("client>origin (direct)").stats().turns();
        assertTrue(direct >= mirrorMetadata + agentSteps, "every direct request crossed: " + direct);
    }
}
