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
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny end-to-end benchmark run: the embedded topology behind WAN relays with short delays and no faults,
 * both paths side by side. Checks correctness, not timing: every request answered in full on both paths,
 * every hub download assembled from its Range pieces and matching its SHA-256,
 * the DNS placing each client population on its own carrier's edge, and the mirror's caches keeping
 * repeated metadata off the cross-border link.
 */
class E2eScenarioTest {
    @TempDir
    static Path state;
    static EmulatedNetwork network;
    static LoadResult result;
    /** Pieces of 100 000 bytes: the test model's weights take several ranges, its tokenizer one or two. */
    static final LoadPlan PLAN = new LoadPlan(3, 6, 2, 2, 2, 2, 2, 100_000, 7);
    static final String REPO = "yunjing/tiny-llama";
    static final List<String> FILES = List.of("model.safetensors", "tokenizer.json");
    /** Requests of one hub download: the model info, then per file a HEAD and its Range pieces. */
    static long requestsPerDownload;

    @BeforeAll
    static void run() throws Exception {
        LinkProfile border = new LinkProfile("border", Duration.ofMillis(10), Duration.ofMillis(2), 50_000_000L, FaultPlan.NONE);
        LinkProfile near = new LinkProfile("near", Duration.ofMillis(2), Duration.ZERO, 0, FaultPlan.NONE);
        network = EmulatedNetwork.start(TopologyLoader.loadEmbedded(), state, new WanProfiles(border, near, near, near),
                Duration.ofMillis(200), 1);
        result = new LoadRunner(network, "tiny-llama", "api.mirror.test", REPO, "models.mirror.test").run(PLAN);
        Revision published = new ArtifactStore(new StateDir(state).artifacts()).resolve(REPO, "main");
        requestsPerDownload = 1;
        for (String file : FILES) {
            long size = published.manifest().entries().stream().filter(e -> e.path().equals(file)).findFirst()
                    .orElseThrow().size();
            requestsPerDownload += 1 + (size + PLAN.artifactPieceBytes() - 1) / PLAN.artifactPieceBytes();
        }
    }

    @AfterAll
    static void stop() {
        if (network != null) {
            network.close();
        }
    }

    @Test
    void everyRequest_onBothPaths_isAnsweredInFull() {
        long perPath = PLAN.metadataClients() * PLAN.metadataRequests() + PLAN.agents() * PLAN.agentSteps()
                + PLAN.artifactClients() * PLAN.artifactDownloads() * requestsPerDownload;
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
    void artifactDownloads_onBothPaths_areCompleteAndVerified() {
        // A sample is ok only with the right status, Content-Range and length, and the last piece of a file
        // only when the assembled file hashes to the X-Linked-Etag SHA-256 (ArtifactClient).
        for (String path : List.of(LoadRunner.DIRECT, LoadRunner.MIRROR)) {
            List<Sample> s = result.samples().stream()
                    .filter(x -> x.workload().equals("artifact") && x.path().equals(path)).toList();
            assertEquals(PLAN.artifactClients() * PLAN.artifactDownloads() * requestsPerDownload, s.size(), path);
            assertTrue(s.size() > PLAN.artifactClients() * PLAN.artifactDownloads() * 5L, "several pieces: " + s.size());
            s.forEach(x -> assertTrue(x.ok(), "failed: " + x));
            assertTrue(s.stream().filter(x -> x.bytes() == PLAN.artifactPieceBytes()).count()
                    >= PLAN.artifactClients() * PLAN.artifactDownloads() * 2L, "whole pieces received on " + path);
        }
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
        long mirrorArtifacts = PLAN.artifactClients() * PLAN.artifactDownloads() * requestsPerDownload;
        long crossed = network.relays().get("bj-central>origin").stats().turns();
        long agentSteps = (long) PLAN.agents() * PLAN.agentSteps();
        // Each agent step crosses once; the metadata (2 URLs) and the artifact URLs (model info, 2 HEADs,
        // 2 files fetched whole on the first Range miss) cross only on the first misses.
        assertTrue(crossed - agentSteps < (mirrorMetadata + mirrorArtifacts) / 2,
                crossed + " requests crossed the border for " + mirrorMetadata + " metadata and " + mirrorArtifacts
                        + " artifact requests");
        long direct = network.relays().get("client>origin (direct)").stats().turns();
        assertTrue(direct >= mirrorMetadata + mirrorArtifacts + agentSteps, "every direct request crossed: " + direct);
    }
}
