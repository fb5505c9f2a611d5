package yunjing.deploy.bench.net;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import yunjing.common.net.EventLoops;
import yunjing.deploy.bench.wan.LinkProfile;
import yunjing.deploy.bench.wan.WanRelay;
import yunjing.deploy.run.LaunchException;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.PortMode;
import yunjing.deploy.run.RunOptions;
import yunjing.deploy.run.RunningRole;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.tls.LocalCertificateAuthority;
import yunjing.deploy.tls.NodeCertificate;
import yunjing.deploy.topology.ApiKey;
import yunjing.deploy.topology.DnsSettings;
import yunjing.deploy.topology.ModelRef;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Plan;
import yunjing.deploy.topology.Ports;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.SyncSettings;
import yunjing.deploy.topology.Topology;
import yunjing.proxy.ApiAccess;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A topology started in this process with a {@link WanRelay} on every link: each node runs as its own
 * {@link MirrorNetwork} (as {@code yunjing node --id} would), started origin-first from a derived topology
 * in which its parents' addresses point at the relays of its links. The roles' wiring is the
 * production one; only the addresses they are given differ.
 *
 * <p>Relays: node → parent (HTTP, and the parent's admin port for health probes, which rides the same
 * delay but no faults), client → edge (HTTPS), and client → origin directly over a cross-border link of
 * its own (the path clients take without the mirror), ending at a TLS front before the origin. The DNS probes the edges directly and steers by
 * an operator lines file that places the three client populations in {@link ClientPopulation}.
 *
 * <p>Lifecycle: started → closed; {@link #close()} stops the nodes edge-first, then the relays.
 */
public final class EmulatedNetwork implements AutoCloseable {
    /** The benchmark's API key: its own plan, so the plans' rate limits do not cap the offered load. */
    public static final String BENCH_KEY = "sk-yunjing-bench";
    private static final Plan BENCH_PLAN = new Plan("bench", 10_000, 10_000_000, 100_000_000, 100_000_000, 10,
            false); // no answer cache: every agent step is new, and the benchmark measures the forwarding path

    private final EventLoops relayLoops;
    private final List<MirrorNetwork> networks = new ArrayList<>();
    private final Map<String, WanRelay> relays = new LinkedHashMap<>();
    private final Map<InetAddress, InetSocketAddress> clientEntries = new HashMap<>();
    private final Path caPem;
    private InetSocketAddress dns;
    private InetSocketAddress directOrigin;

    private EmulatedNetwork(EventLoops relayLoops, Path caPem) {
        this.relayLoops = relayLoops;
        this.caPem = caPem;
    }

    public static EmulatedNetwork start(Topology base, Path stateRoot, WanProfiles profiles, Duration healthInterval,
                                        long seed) throws LaunchException, IOException, InterruptedException {
        StateDir state = new StateDir(stateRoot);
        EmulatedNetwork net = new EmulatedNetwork(EventLoops.create(2, "yunjing-wan"), state.tls().resolve("ca.pem"));
        try {
            net.startAll(withBenchKey(base), state, profiles, healthInterval, seed);
            return net;
        } catch (LaunchException | IOException | InterruptedException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private void startAll(Topology topology, StateDir state, WanProfiles profiles, Duration healthInterval, long seed)
            throws LaunchException, IOException, InterruptedException {
        RunOptions options = RunOptions.of(PortMode.TOPOLOGY, healthInterval);
        // The DNS starts last (it health-checks the edges), but the edges post their RTT reports to its admin
        // port from the start: reserve that port now, so they never reach a DNS outside the benchmark.
        DnsSettings base = topology.dns();
        DnsSettings dnsSettings = new DnsSettings(new InetSocketAddress(base.listen().getAddress(), 0),
                freePort(base.admin().getAddress()), base.ttlSeconds(), base.maxAnswers());
        topology = withDns(topology, dnsSettings);
        Map<String, RunningRole> started = new HashMap<>();
        Map<String, Node> startedNodes = new HashMap<>();
        long linkSeed = seed;
        for (Node node : topology.nodesInStartOrder()) {
            Map<String, Node> parentsViaRelays = new HashMap<>();
            for (String parentId : node.parents()) {
                Node parent = topology.node(parentId).orElseThrow();
                RunningRole running = started.get(parentId);
                LinkProfile link = profiles.between(node, parent);
                WanRelay http = relay(node.id() + ">" + parentId, link, parent.address(), running.http(), linkSeed++);
                WanRelay admin = relay(node.id() + ">" + parentId + ":admin", link.withoutFaults(), parent.address(),
                        running.adminAddress(), linkSeed++);
                parentsViaRelays.put(parentId, at(parent, parent.address(),
                        new Ports(http.address().getPort(), 0, admin.address().getPort())));
            }
            // Nodes already running appear at their real ports (an edge leases key budgets from the central's
            // admin port directly); parents appear at their relays.
            Map<String, Node> seen = new HashMap<>(startedNodes);
            seen.putAll(parentsViaRelays);
            Topology derived = derive(topology, node.id(), at(node, node.address(), new Ports(0, 0, 0)), seen);
            MirrorNetwork role = MirrorNetwork.start(derived, state, options, Set.of(node.id()));
            networks.add(role);
            role.awaitReady(Duration.ofSeconds(120));
            RunningRole running = role.role(node.id()).orElseThrow();
            started.put(node.id(), running);
            startedNodes.put(node.id(), at(node, node.address(), new Ports(running.http().getPort(),
                    running.https() == null ? 0 : running.https().getPort(), running.adminAddress().getPort())));
        }
        for (Node edge : topology.edges()) {
            WanRelay entry = relay("client>" + edge.id(), profiles.clientToEdge(), edge.address(),
                    started.get(edge.id()).https(), linkSeed++);
            clientEntries.put(edge.address(), entry.address());
        }
        Node origin = topology.nodes().stream().filter(n -> n.tier() == Tier.ORIGIN).findFirst().orElseThrow();
        // Overseas APIs are HTTPS: a TLS front at the origin's end of the direct link (no delay of its own),
        // so direct clients pay the same handshakes as mirror clients, but over the long link.
        NodeCertificate cert = LocalCertificateAuthority.openOrCreate(state.tls())
                .issue(origin.id() + "-front", List.of("localhost"), List.of(origin.address()));
        SslContext tls = SslContextBuilder.forServer(cert.chain().toFile(), cert.key().toFile())
                .sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2").build();
        WanRelay front = WanRelay.start(LinkProfile.local("origin-tls-front"), new InetSocketAddress(origin.address(), 0),
                started.get(origin.id()).http(), relayLoops, linkSeed++, tls);
        relays.put("origin-tls-front", front);
        directOrigin = relay("client>origin (direct)", profiles.crossBorder(), origin.address(), front.address(),
                linkSeed++).address();
        startDns(topology, state, options, started);
    }

    private void startDns(Topology topology, StateDir state, RunOptions options, Map<String, RunningRole> started)
            throws LaunchException, IOException, InterruptedException {
        Map<String, Node> edges = new HashMap<>();
        for (Node edge : topology.edges()) {
            RunningRole r = started.get(edge.id());
            edges.put(edge.id(), at(edge, edge.address(),
                    new Ports(r.http().getPort(), r.https().getPort(), r.adminAddress().getPort())));
        }
        Topology derived = new Topology(topology.source(), topology.zone(), topology.dns(),
                topology.services(), replace(topology.nodes(), edges), topology.plans(), topology.keys(),
                topology.baseDir(), null, List.of(), SyncSettings.NONE);
        Path lines = state.root().resolve("bench-lines.txt");
        Files.writeString(lines, ClientPopulation.linesFile());
        MirrorNetwork role = MirrorNetwork.start(derived, state, options.withGeo(null, lines), Set.of("dns"));
        networks.add(role);
        role.awaitReady(Duration.ofSeconds(60));
        dns = role.role("dns").orElseThrow().http();
    }

    private WanRelay relay(String name, LinkProfile profile, InetAddress bind, InetSocketAddress target, long seed)
            throws InterruptedException {
        WanRelay relay = WanRelay.start(profile, new InetSocketAddress(bind, 0), target, relayLoops, seed);
        relays.put(name, relay);
        return relay;
    }

    /** The topology as node {@code id} must see it: itself on ephemeral ports, its parents at their relays. */
    private static Topology derive(Topology topology, String id, Node self, Map<String, Node> parents) {
        Map<String, Node> replaced = new HashMap<>(parents);
        replaced.put(id, self);
        return new Topology(topology.source(), topology.zone(), topology.dns(), topology.services(),
                replace(topology.nodes(), replaced), topology.plans(), topology.keys(), topology.baseDir(), null,
                List.of(), topology.sync());
    }

    private static Topology withDns(Topology t, DnsSettings dns) {
        // No replica agents: the benchmark counts client requests over the border link, and their polls would cross it.
        return new Topology(t.source(), t.zone(), dns, t.services(), t.nodes(), t.plans(), t.keys(), t.baseDir(),
                null, List.of(), SyncSettings.NONE);
    }

    /** A port free right now on {@code host} (another process could take it before the DNS binds: a benchmark risk only). */
    private static InetSocketAddress freePort(InetAddress host) throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, host)) {
            return new InetSocketAddress(host, probe.getLocalPort());
        }
    }

    private static List<Node> replace(List<Node> nodes, Map<String, Node> replaced) {
        return nodes.stream().map(n -> replaced.getOrDefault(n.id(), n)).toList();
    }

    private static Node at(Node n, InetAddress address, Ports ports) {
        // The agent steps carry a ~500 KB screenshot the text-only test model has no encoder for: drop it
        // untokenized (origin metric yunjing.origin.image.parts.dropped) so the benchmark measures the network.
        return new Node(n.id(), n.tier(), address, ports, n.province(), n.carrier(), n.parents(), n.weight(),
                n.models().stream().map(ModelRef::ignoringImages).toList(), n.line(), n.accessLog());
    }

    private static Topology withBenchKey(Topology t) {
        Map<String, Plan> plans = new HashMap<>(t.plans());
        plans.put(BENCH_PLAN.name(), BENCH_PLAN);
        List<ApiKey> keys = new ArrayList<>(t.keys());
        keys.add(new ApiKey("bench", BENCH_PLAN.name(), ApiAccess.sha256Hex(BENCH_KEY), "bench"));
        return new Topology(t.source(), t.zone(), t.dns(), t.services(), t.nodes(), plans, keys, t.baseDir(), null,
                List.of(), t.sync());
    }

    /** The authoritative DNS (UDP and TCP). */
    public InetSocketAddress dns() {
        return dns;
    }

    /** Where a client reaches the edge at {@code edgeAddress} (a DNS answer): that edge's client link, HTTPS. */
    public InetSocketAddress clientEntry(InetAddress edgeAddress) {
        InetSocketAddress entry = clientEntries.get(edgeAddress);
        if (entry == null) {
            throw new IllegalArgumentException("no edge at " + edgeAddress + " (edges: " + clientEntries.keySet() + ")");
        }
        return entry;
    }

    /** The origin's API over the clients' own cross-border link, HTTPS (a TLS front before the origin). */
    public InetSocketAddress directOrigin() {
        return directOrigin;
    }

    /** The local CA that signed the edges' certificates. */
    public Path caPem() {
        return caPem;
    }

    /** Every relay by link name, e.g. {@code bj-central>origin}, in start order. */
    public Map<String, WanRelay> relays() {
        return Collections.unmodifiableMap(relays);
    }

    @Override
    public void close() {
        List<MirrorNetwork> reverse = new ArrayList<>(networks);
        Collections.reverse(reverse);
        reverse.forEach(MirrorNetwork::close);
        relays.values().forEach(WanRelay::close);
        relayLoops.close();
    }
}
