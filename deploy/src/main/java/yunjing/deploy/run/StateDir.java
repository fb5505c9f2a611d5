package yunjing.deploy.run;

import java.nio.file.Path;

/**
 * The directory a node keeps its state in: {@code tls/} (local CA and node certificates),
 * {@code artifacts/} (the origin's artifact store), {@code sync/} (manifest key, rollout state),
 * {@code replicas/{node}/} (the artifact stores of replica nodes), {@code cache/} (proxies' disk caches) and
 * {@code logs/} (proxies' access logs). Default: {@code $YUNJING_STATE_DIR}, else
 * {@code $XDG_STATE_HOME/yunjing}, else {@code ~/.local/state/yunjing}.
 */
public record StateDir(Path root) {

    public StateDir {
        root = root.toAbsolutePath().normalize();
    }

    public static StateDir defaultLocation() {
        String explicit = System.getenv("YUNJING_STATE_DIR");
        if (explicit != null && !explicit.isBlank()) {
            return new StateDir(Path.of(explicit));
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return new StateDir(base.resolve("yunjing"));
    }

    public Path tls() {
        return root.resolve("tls");
    }

    /** The manifest signing key ({@code manifest-key.pem}, {@code .pub.pem}) and the rollout state. */
    public Path sync() {
        return root.resolve("sync");
    }

    /** A replica node's own artifact store. */
    public Path replica(String nodeId) {
        return root.resolve("replicas").resolve(nodeId);
    }

    public Path artifacts() {
        return root.resolve("artifacts");
    }

    /** Where proxies write their access logs by default: {@code logs/<node>.access.jsonl}. */
    public Path accessLog(String nodeId) {
        return root.resolve("logs").resolve(nodeId + ".access.jsonl");
    }
}
