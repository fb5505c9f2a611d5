package yunjing.deploy.topology;

import yunjing.sync.agent.ClockSkewGuard;
import yunjing.sync.agent.DeltaAgent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The topology's {@code sync:} section: which nodes keep a replica of the origin's artifact store
 * and follow it, which of them take a new revision first, and the manifest signing key.
 *
 * @param replicas   ids of the nodes that run a sync agent (never the origin, never an edge)
 * @param canaries   the replicas that take a new revision before the others
 * @param repos      repositories the agents follow, besides those of the origin's models
 * @param pins       node id → repository → revision id or origin ref that node keeps whatever the
 *                   rollout does (fixed here; {@code yunjing rollout pin} adds pins at run time)
 * @param poll       how often an agent polls its parent for its manifests (a 304 when unchanged)
 * @param publicKey  the manifest public key (bare base64 DER or PEM text), or null: the key in
 *                   the state directory, created with the signing key on the origin's first start
 * @param privateKey the origin's signing key file (PKCS#8 PEM), or null: the state directory's
 * @param agent      how each replica's agent fetches and checks its clock
 * @param line       line of the section, for messages
 * @param autoPromote how long every canary must have had a canary revision active and been ready
 *                   before the control node promotes it by itself; zero: only {@code rollout promote}
 * @param originKeepRevisions revisions of each repository the origin keeps: the newest published ones
 *                   plus every one the rollout names (see {@code RolloutController.pruneRevisions});
 *                   0 = all (the default: the origin is the source of truth)
 */
public record SyncSettings(List<String> replicas, List<String> canaries, List<String> repos,
                           Map<String, Map<String, String>> pins, Duration poll, String publicKey, Path privateKey,
                           Agent agent, int line, Duration autoPromote, int originKeepRevisions) {

    /** No sync section: no agents, and the origin's key lives in the state directory. */
    public static final SyncSettings NONE = new SyncSettings(List.of(), List.of(), List.of(), Map.of(),
            Duration.ofSeconds(2), null, null, Agent.DEFAULT, 0, Duration.ZERO, 0);

    /**
     * Per-agent operation, as {@code yunjing sync pull} takes it on the command line.
     *
     * @param concurrency    range requests in flight at once
     * @param bytesPerSecond bandwidth limit of all its fetches together; 0 = none
     * @param ntpServer      {@code host[:port]} of an NTP server to check the clock against before a
     *                       manifest's expiry is trusted, or null: no check
     * @param maxClockSkew   the largest offset from that server an agent accepts
     * @param keepRevisions  revisions of a repository a replica keeps (the newest activated ones, plus
     *                       any a ref names); 0 = every revision
     */
    public record Agent(int concurrency, long bytesPerSecond, String ntpServer, Duration maxClockSkew, int keepRevisions) {

        /** A replica keeps its active revision and two before it, for quick rollbacks. */
        public static final int DEFAULT_KEEP_REVISIONS = 3;

        public static final Agent DEFAULT = new Agent(DeltaAgent.DEFAULT_CONCURRENCY, 0, null,
                Duration.ofSeconds(10), DEFAULT_KEEP_REVISIONS);

        /**
         * {@code agent} with these settings: what a replica node's agent and {@code yunjing sync
         * pull|follow} both take. Throws {@link IllegalArgumentException} for an NTP server that is
         * not {@code host[:port]}.
         */
        public DeltaAgent.Builder configure(DeltaAgent.Builder agent) {
            agent.concurrency(concurrency).limitRate(bytesPerSecond).keepRevisions(keepRevisions);
            if (ntpServer != null) {
                agent.clockSkewGuard(new ClockSkewGuard(ntpServer, maxClockSkew));
            }
            return agent;
        }
    }

    public SyncSettings {
        if (autoPromote == null || autoPromote.isNegative()) {
            throw new IllegalArgumentException("autoPromote: " + autoPromote + " (expected: >= 0, 0 for off)");
        }
        if (originKeepRevisions < 0) {
            throw new IllegalArgumentException("originKeepRevisions: " + originKeepRevisions + " (expected: >= 0, 0 for all)");
        }
        replicas = List.copyOf(replicas);
        canaries = List.copyOf(canaries);
        repos = List.copyOf(repos);
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        pins.forEach((node, byRepo) -> copy.put(node, Map.copyOf(byRepo)));
        pins = Collections.unmodifiableMap(copy);
    }
}
