package yunjing.deploy.run;

import yunjing.common.net.EventLoops;
import yunjing.proxy.ProxyServer;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.Topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Roles of one topology running in this process: every node plus the DNS ({@code yunjing up}),
 * or just one of them ({@code yunjing node --id ID}). Nodes start origin-first so each finds its
 * parents; if any fails, everything already started is stopped before the error is thrown, so a
 * failed start leaves nothing listening.
 *
 * <p>Lifecycle: starting → running → closed. {@link #close()} stops roles in reverse start order
 * (edges first, so no request is accepted that its parent can no longer serve).
 */
public final class MirrorNetwork implements AutoCloseable {

    private final EventLoops loops;
    private final List<RunningRole> roles;
    private final KeyReloader keyReloader;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MirrorNetwork(EventLoops loops, List<RunningRole> roles, KeyReloader keyReloader) {
        this.loops = loops;
        this.roles = roles;
        this.keyReloader = keyReloader;
    }

    /** Every node of the topology and the DNS. */
    public static MirrorNetwork startAll(Topology topology, StateDir state, RunOptions options) throws LaunchException {
        Set<String> all = new HashSet<>();
        topology.nodes().forEach(n -> all.add(n.id()));
        all.add(RoleLauncher.DNS_ID);
        return start(topology, state, options, all);
    }

    /**
     * The roles named by {@code ids} (node ids, or {@code dns}). Unknown ids are an error that
     * lists the known ones.
     */
    public static MirrorNetwork start(Topology topology, StateDir state, RunOptions options, Set<String> ids)
            throws LaunchException {
        for (String id : ids) {
            if (!id.equals(RoleLauncher.DNS_ID) && topology.node(id).isEmpty()) {
                List<String> known = new ArrayList<>(topology.nodes().stream().map(Node::id).toList());
                known.add(RoleLauncher.DNS_ID);
                throw new LaunchException("unknown node id '" + id + "' in " + topology.source()
                        + " (known: " + String.join(", ", known) + ")");
            }
        }
        EventLoops loops = EventLoops.create(0, "yunjing-io");
        Endpoints endpoints = new Endpoints(topology, options.ports());
        RoleLauncher launcher = new RoleLauncher(topology, state, loops, endpoints, options);
        List<RunningRole> started = new ArrayList<>();
        try {
            for (Node node : topology.nodesInStartOrder()) {
                if (ids.contains(node.id())) {
                    started.add(launcher.start(node));
                }
            }
            if (ids.contains(RoleLauncher.DNS_ID)) {
                started.add(launcher.startDns());
            }
            List<ProxyServer> edges = new ArrayList<>();
            for (RunningRole role : started) {
                if (role.kind().equals(Tier.EDGE.label()) && role.role() instanceof ProxyServer proxy) {
                    edges.add(proxy);
                }
            }
            return new MirrorNetwork(loops, Collections.unmodifiableList(started),
                    KeyReloader.startIfNeeded(topology, edges));
        } catch (LaunchException | RuntimeException e) {
            stopAll(started);
            loops.close();
            throw e;
        }
    }

    public List<RunningRole> roles() {
        return roles;
    }

    public Optional<RunningRole> role(String id) {
        return roles.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    public String transport() {
        return loops.transport();
    }

    /**
     * Waits until every role reports ready. Throws with the names of the roles that are not,
     * and their own reason, when {@code timeout} passes first.
     */
    public void awaitReady(Duration timeout) throws LaunchException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> waiting = new ArrayList<>();
            for (RunningRole role : roles) {
                var readiness = role.readiness();
                if (!readiness.ready()) {
                    waiting.add(role.id() + " (" + readiness.detail() + ")");
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new LaunchException("not ready after " + timeout.toSeconds() + " s: " + String.join("; ", waiting));
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (keyReloader != null) {
            keyReloader.close();
        }
        stopAll(roles);
        loops.close();
    }

    private static void stopAll(List<RunningRole> roles) {
        List<RunningRole> reverse = new ArrayList<>(roles);
        Collections.reverse(reverse);
        reverse.forEach(RunningRole::close);
    }
}
