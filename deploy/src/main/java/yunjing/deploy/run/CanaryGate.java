package yunjing.deploy.run;

import com.fasterxml.jackson.databind.JsonNode;
import yunjing.sync.rollout.CanarySoak;
import yunjing.sync.rollout.RepoRollout;
import yunjing.sync.rollout.RolloutController;

import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Promotes a canary rollout by itself (topology {@code sync.auto_promote_s}): at every look, each
 * canary node that should have the canary revision (pinned ones aside) must be ready and report it
 * active and synced; once that has held for the soak ({@link CanarySoak}), the control node
 * promotes, as {@code yunjing rollout promote} would. A canary that falls behind, fails, refuses
 * the manifest or stops being ready starts the soak over; nothing is rolled back by itself.
 *
 * <p>Runs on one polling thread of the control node.
 */
final class CanaryGate implements Runnable {

    private static final System.Logger LOG = System.getLogger(CanaryGate.class.getName());

    /** What the gate asks a replica node. */
    interface NodeProbe {
        /** The node's {@code /sync/status} ({@code {"node", "repos": [{repo, revision, state, …}]}}). */
        JsonNode syncStatus(String node) throws IOException;

        /** Whether the node answers its {@code /readyz} with 200. */
        boolean ready(String node);
    }

    private final RolloutController rollout;
    private final CanarySoak soak;
    private final NodeProbe probe;
    private final Set<String> watching = new HashSet<>();

    CanaryGate(RolloutController rollout, CanarySoak soak, NodeProbe probe) {
        this.rollout = rollout;
        this.soak = soak;
        this.probe = probe;
    }

    @Override
    public void run() {
        Map<String, RepoRollout> running = rollout.inProgress();
        watching.removeIf(repo -> {
            boolean over = !running.containsKey(repo);
            if (over) {
                soak.forget(repo); // promoted or rolled back by hand meanwhile
            }
            return over;
        });
        for (Map.Entry<String, RepoRollout> e : running.entrySet()) {
            String repo = e.getKey();
            String canary = e.getValue().canary();
            watching.add(repo);
            if (!soak.observe(repo, canary, healthy(repo, e.getValue()))) {
                continue;
            }
            try {
                rollout.promote(repo, canary);
                soak.forget(repo);
                watching.remove(repo);
                LOG.log(System.Logger.Level.INFO, () -> "rollout " + repo + ": " + canary
                        + " promoted by itself: every canary had it active and was ready for the whole soak");
            } catch (IOException | IllegalArgumentException raced) {
                // Promoted, rolled back or restarted by hand between the look and the promote.
                LOG.log(System.Logger.Level.WARNING, () -> "rollout " + repo + ": no automatic promote: " + raced.getMessage());
            }
        }
    }

    /** Every canary node meant to take the canary revision is ready and has it active and synced. */
    private boolean healthy(String repo, RepoRollout r) {
        int watched = 0;
        for (String node : rollout.canaries()) {
            if (!r.canary().equals(r.target(node, rollout.canaries()))) {
                continue; // pinned to another revision: not part of this canary
            }
            watched++;
            if (!probe.ready(node) || !hasActive(node, repo, r.canary())) {
                return false;
            }
        }
        return watched > 0;
    }

    private boolean hasActive(String node, String repo, String revision) {
        JsonNode status;
        try {
            status = probe.syncStatus(node);
        } catch (IOException e) {
            return false;
        }
        for (JsonNode r : status.path("repos")) {
            if (repo.equals(r.path("repo").asText())) {
                return revision.equals(r.path("revision").asText()) && "synced".equals(r.path("state").asText());
            }
        }
        return false;
    }
}
