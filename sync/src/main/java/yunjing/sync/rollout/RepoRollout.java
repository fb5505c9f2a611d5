package yunjing.sync.rollout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rollout of one repository, as the control node holds it. Immutable: every change makes a
 * new value.
 *
 * @param stable    the revision every node takes unless it is a canary or pinned
 * @param canary    the revision canary nodes take while a rollout is in progress; null when none is
 * @param published the revision the origin's {@code main} ref named when last looked at; a new
 *                  one starts a canary rollout by itself
 * @param history   earlier stable revisions, oldest first: where {@code rollback} goes back to
 * @param pins      node id → revision that node keeps whatever the rollout does
 * @param changed   when a target last changed, the start of a node's lag
 */
public record RepoRollout(String repo, String stable, String canary, String published, List<String> history,
                          Map<String, String> pins, Instant changed) {

    /** How many earlier stable revisions are kept for rollback. */
    static final int HISTORY = 16;

    public RepoRollout {
        history = List.copyOf(history);
        pins = Map.copyOf(pins);
    }

    static RepoRollout initial(String repo, String revision, Instant now) {
        return new RepoRollout(repo, revision, null, revision, List.of(), Map.of(), now);
    }

    /** The revision {@code node} should have now. */
    public String target(String node, Set<String> canaries) {
        String pin = pins.get(node);
        if (pin != null) {
            return pin;
        }
        return canary != null && canaries.contains(node) ? canary : stable;
    }

    RepoRollout withCanary(String revision, Instant now) {
        return new RepoRollout(repo, stable, revision, published, history, pins, now);
    }

    RepoRollout withPublished(String revision) {
        return new RepoRollout(repo, stable, canary, revision, history, pins, changed);
    }

    /** The canary becomes stable; the old stable goes to the history. */
    RepoRollout promoted(Instant now) {
        ArrayList<String> h = new ArrayList<>(history);
        h.remove(stable);
        h.add(stable);
        while (h.size() > HISTORY) {
            h.removeFirst();
        }
        return new RepoRollout(repo, canary, null, published, h, pins, now);
    }

    /** Every node back on {@code revision}; the history is cut back to before it. */
    RepoRollout rolledBackTo(String revision, Instant now) {
        ArrayList<String> h = new ArrayList<>(history);
        int at = h.lastIndexOf(revision);
        if (at >= 0) {
            h.subList(at, h.size()).clear();
        }
        return new RepoRollout(repo, revision, null, published, h, pins, now);
    }

    RepoRollout withPin(String node, String revision, Instant now) {
        Map<String, String> p = new LinkedHashMap<>(pins);
        if (revision == null) {
            p.remove(node);
        } else {
            p.put(node, revision);
        }
        return new RepoRollout(repo, stable, canary, published, history, p, now);
    }

    /** The revision a rollback without an explicit one goes back to, or null when there is none. */
    String rollbackTarget() {
        if (canary != null) {
            return stable;
        }
        return history.isEmpty() ? null : history.getLast();
    }
}
