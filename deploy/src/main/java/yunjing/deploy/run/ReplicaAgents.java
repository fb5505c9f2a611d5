package yunjing.deploy.run;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;
import yunjing.sync.agent.DeltaAgent;
import yunjing.sync.agent.HttpChunkSource;
import yunjing.sync.agent.HttpManifestSource;
import yunjing.sync.agent.SyncMetrics;
import yunjing.sync.rollout.ReplicaFollower;
import yunjing.sync.sign.ManifestVerifier;
import yunjing.sync.store.ArtifactStore;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a replica node's sync agent from the topology: its store in {@code <state>/replicas/{node}/},
 * the manifest key it trusts ({@link ManifestKeys#trusted}), and its parents' HTTP ports, in order,
 * as manifest and chunk sources, so that every fetch goes through the parents' caches. The agent's
 * concurrency, bandwidth limit and clock check come from the topology's {@code sync:} section, and
 * its metrics ({@link SyncMetrics}: bytes fetched and reused, verify failures, lag) go into the node's
 * registry, so the node's {@code /metrics} shows them.
 */
final class ReplicaAgents {

    /** Per request of an agent to a parent (headers and every wait for body bytes). */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ReplicaAgents() {
    }

    /**
     * Starts polling at the topology's {@code sync.poll_ms}, writing {@code local}, the node's replica store (its proxy
     * serves the same store, {@link ReplicaServing}). The caller owns the returned follower
     * and {@code client} and closes them, the follower first.
     */
    static ReplicaFollower start(Topology topology, ArtifactStore local, StateDir state, Endpoints endpoints, Node node,
            HttpClient client, MeterRegistry registry) throws LaunchException, IOException {
        ManifestVerifier verifier = new ManifestVerifier(ManifestKeys.trusted(topology, state), Clock.systemUTC());
        List<HttpManifestSource> manifests = new ArrayList<>();
        DeltaAgent.Builder agent = null;
        for (String parent : node.parents()) {
            URI base = URI.create("http://" + Endpoints.hostPort(endpoints.http(parent)) + "/");
            manifests.add(new HttpManifestSource(client, base, TIMEOUT));
            HttpChunkSource chunks = HttpChunkSource.cacheable(client, base, TIMEOUT);
            agent = agent == null ? DeltaAgent.builder(local, verifier, chunks) : agent.alternate(chunks);
        }
        topology.sync().agent().configure(agent.metrics(new SyncMetrics(registry)));
        ReplicaFollower follower = new ReplicaFollower(node.id(), local, agent.build(), manifests,
                topology.syncedRepos(), Clock.systemUTC());
        return follower.start(topology.sync().poll());
    }
}
