package yunjing.deploy.run;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import yunjing.common.net.EventLoops;
import yunjing.deploy.admin.AdminEndpoint;
import yunjing.deploy.admin.AdminRole;
import yunjing.deploy.admin.AdminServer;
import yunjing.deploy.admin.DrainSwitch;
import yunjing.deploy.admin.AdminToken;
import yunjing.deploy.admin.CacheOperations;
import yunjing.deploy.admin.Readiness;
import yunjing.deploy.tls.LocalCertificateAuthority;
import yunjing.deploy.tls.NodeCertificate;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.RttProbes;
import yunjing.deploy.topology.Tier;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.dns.DnsConfig;
import yunjing.dns.DnsServer;
import yunjing.dns.DnsTarget;
import yunjing.dns.RttReport;
import yunjing.dns.locate.LocatorConfig;
import yunjing.origin.ModelLoadException;
import yunjing.origin.ModelSpec;
import yunjing.origin.OriginConfig;
import yunjing.origin.OriginServer;
import yunjing.origin.sched.SchedulerConfig;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.ParentConfig;
import yunjing.proxy.ProxyConfig;
import yunjing.proxy.UpstreamConfig;
import yunjing.proxy.llm.BudgetLedger;
import yunjing.proxy.ProxyServer;
import yunjing.proxy.rtt.RttProber;
import yunjing.proxy.rtt.RttReporter;
import yunjing.sync.publish.IncomingPublisher;
import yunjing.sync.rollout.CanarySoak;
import yunjing.sync.rollout.ReplicaFollower;
import yunjing.sync.rollout.RolloutController;
import yunjing.sync.serve.ArtifactService;
import yunjing.sync.store.ArtifactStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Maps topology nodes onto the roles' own config records and starts them: the only place that
 * knows both the topology file and the modules (which never see each other).
 */
final class RoleLauncher {
    /** Reserved id under which the DNS service runs in {@code yunjing node --id dns}. */
    static final String DNS_ID = "dns";
    /** How often an origin looks for a new revision of its models in the artifact store. */
    static final long MODEL_POLL_MILLIS = 2000;
    /** The admin path where a central node leases API budget slices to edges. */
    static final String LEASE_PATH = "/lease";
    /** Reopens a proxy's access log after logrotate renamed it (as SIGUSR1 does for the whole process). */
    static final String ACCESS_LOG_REOPEN_PATH = "/access-log/reopen";
    /** Connect timeout to parents; failover to the next parent follows it. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final Topology topology;
    private final StateDir state;
    private final EventLoops loops;
    private final Endpoints endpoints;
    private final RunOptions options;
    private AdminToken adminToken;
    private LocalCertificateAuthority certificateAuthority;
    /** The DNS admin address edges report RTTs to: the topology's, or the bound one once the DNS runs here. */
    private final AtomicReference<InetSocketAddress> dnsAdmin = new AtomicReference<>();
    /** The admin path where a replica node reports its active revisions. */
    static final String SYNC_STATUS_PATH = "/sync/status";
    /** The control node's rollout state file, in {@code <state>/sync/}. */
    static final String ROLLOUT_STATE = "rollout.json";
    /** How often edges post client RTTs to the DNS. */
    static final Duration RTT_REPORT_INTERVAL = Duration.ofSeconds(10);

    RoleLauncher(Topology topology, StateDir state, EventLoops loops, Endpoints endpoints, RunOptions options) {
        this.topology = topology;
        this.state = state;
        this.loops = loops;
        this.endpoints = endpoints;
        this.options = options;
        if (options.ports() == PortMode.TOPOLOGY) {
            dnsAdmin.set(topology.dns().admin());
        }
    }

    RunningRole start(Node node) throws LaunchException {
        String where = "node '" + node.id() + "': ";
        PrometheusMeterRegistry registry = registry(node.id(), node.tier().label());
        AutoCloseable role = null;
        ProxyServer proxyRole = null;
        List<AutoCloseable> helpers = new ArrayList<>();
        try {
            InetSocketAddress http;
            InetSocketAddress https = null;
            Supplier<Readiness> readiness;
            CacheOperations cacheOperations = null;
            Map<String, AdminEndpoint> operations = new HashMap<>();
            if (node.tier() == Tier.ORIGIN) {
                ArtifactStore store = ArtifactStore.builder(state.artifacts())
                        .signer(ManifestKeys.signer(topology, state)).build();
                // The origin's HTTP port also serves the artifact store (hub paths, manifests) to the tiers.
                ArtifactService artifacts = new ArtifactService(store);
                role = artifacts;
                ArtifactRouting routing = ArtifactRouting.of(topology);
                List<ModelSpec> models = new ModelPreparer(store).prepare(node);
                ManifestKeys.signUnsigned(store);
                OriginServer origin = OriginServer.start(new OriginConfig(node.id(),
                        endpoints.bind(node, node.ports().http()), models,
                        Math.max(1, Runtime.getRuntime().availableProcessors()), SchedulerConfig.DEFAULTS,
                        () -> artifacts.newHandler(routing)), loops, registry);
                // A ref that moves to a new revision (sync, model publish) is hot-swapped in.
                ModelReloader reloader = new ModelReloader(store, origin, node, models, MODEL_POLL_MILLIS);
                AutoCloseable originAndStore = () -> {
                    try (artifacts) {
                        reloader.close();
                        origin.close();
                    }
                };
                role = originAndStore;
                // Repositories dropped into artifacts/incoming/{org}/{repo}/ are published once settled.
                IncomingPublisher incoming = IncomingPublisher.builder(store, state.artifacts().resolve("incoming"))
                        .build().start();
                role = () -> {
                    try (incoming) {
                        originAndStore.close();
                    }
                };
                // The origin is the rollout's control node: it moves each replica's ref, see RolloutController.
                RolloutController rollout = new RolloutController(store, topology.sync().replicas(),
                        Set.copyOf(topology.sync().canaries()), topology.sync().pins(), state.sync().resolve(ROLLOUT_STATE),
                        Clock.systemUTC());
                rollout.observePublished();
                int originKeep = topology.sync().originKeepRevisions();
                helpers.add(new PollingTimer("rollout-watch", topology.sync().poll().toMillis(), () -> observe(rollout, originKeep)));
                if (!topology.sync().autoPromote().isZero()) {
                    HttpClient probes = http11Client();
                    helpers.add(probes);
                    CanaryGate gate = new CanaryGate(rollout, new CanarySoak(topology.sync().autoPromote(), Clock.systemUTC()),
                            new HttpNodeProbe(probes, endpoints, adminToken().value()));
                    helpers.add(new PollingTimer("rollout-canary-gate", topology.sync().poll().toMillis(), gate));
                }
                operations.putAll(RolloutEndpoints.of(rollout));
                http = origin.httpAddress();
                readiness = () -> Readiness.of(origin.isReady(), !origin.isReady() ? "loading models"
                        : origin.swapInProgress() == null ? "models loaded" : "models loaded, " + origin.swapInProgress());
            } else {
                boolean replica = topology.sync().replicas().contains(node.id());
                // A replica answers hub and span requests for the revisions it holds from its own verified store.
                ReplicaServing serving = replica ? new ReplicaServing(new ArtifactStore(state.replica(node.id())), registry) : null;
                if (serving != null) {
                    role = serving;
                }
                ProxyServer proxy = ProxyServer.start(proxyConfig(node), loops, registry, serving == null ? null : serving::newHandler);
                proxyRole = proxy;
                role = serving == null ? proxy : () -> {
                    try (serving) {
                        proxy.close();
                    }
                };
                http = proxy.httpAddress();
                https = proxy.httpsAddress();
                readiness = () -> Readiness.of(proxy.isReady(), "parents " + describe(proxy.parentHealth()));
                cacheOperations = new ProxyCacheOperations(proxy);
                operations.put(ACCESS_LOG_REOPEN_PATH, body -> reopenAccessLog(node.id(), proxy));
                if (replica) {
                    // One client per agent, HTTP/1.1: chunk requests go to the parent's cache like any GET.
                    HttpClient client = http11Client();
                    helpers.add(client);
                    ReplicaFollower follower = ReplicaAgents.start(topology, serving.store(), state, endpoints, node, client, registry);
                    helpers.addFirst(follower);
                    operations.put(SYNC_STATUS_PATH, body -> follower.status().toString() + "\n");
                }
            }
            // A central node owns the API budgets of the keys it wins (BudgetOwners) and leases them to edges.
            if (node.tier() == Tier.CENTRAL) {
                operations.put(LEASE_PATH, new BudgetLedger(Clock.systemUTC())::handle);
            }
            AdminRole adminRole = new AdminRole(node.id(), registry, readiness, cacheOperations, new DrainSwitch(),
                    operations);
            AdminServer admin = AdminServer.start(endpoints.bind(node, node.ports().admin()), loops, adminRole, adminToken());
            if (node.tier() == Tier.EDGE && proxyRole != null) {
                ProxyServer edge = proxyRole;
                helpers.add(rttReporter(node, edge));
                if (topology.dns().rttProbes().enabled()) {
                    helpers.add(rttProber(node));
                }
                HttpLeaseTransport leases = leaseTransport();
                if (leases != null) {
                    helpers.add(leases);
                    edge.shareApiBudgets(leases, topology.edges().size());
                }
            }
            RunningRole running = new RunningRole(node.id(), node.tier().label(), http, https, admin, adminRole, role,
                    helpers);
            endpoints.started(running);
            return running;
        } catch (ModelLoadException e) {
            throw failed(helpers, role, registry, new LaunchException(where + e.getMessage(), e));
        } catch (BindException e) {
            throw failed(helpers, role, registry, new LaunchException(where + "cannot listen: " + rootMessage(e), e));
        } catch (IOException e) {
            throw failed(helpers, role, registry, new LaunchException(where + rootMessage(e), e));
        } catch (UncheckedIOException e) {
            // The origin reports a listener it cannot bind this way; the cause says why.
            throw failed(helpers, role, registry, new LaunchException(where + rootMessage(e.getCause()), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(helpers, role, registry, new LaunchException(where + "interrupted while starting", e));
        } catch (LaunchException e) {
            throw failed(helpers, role, registry, e);
        }
    }

    RunningRole startDns() throws LaunchException {
        PrometheusMeterRegistry registry = registry(DNS_ID, "dns");
        DnsServer dns = null;
        DnsReloader reloader = null;
        try {
            DnsConfig config = dnsConfig(topology);
            dns = DnsServer.start(config, loops, registry);
            DnsServer server = dns;
            reloader = new DnsReloader(dns, new DnsReloader.Source() {
                @Override
                public DnsConfig load() throws Exception {
                    return dnsConfig(topology.file() == null ? topology : TopologyLoader.load(topology.file()));
                }

                @Override
                public List<Path> files(DnsConfig running) {
                    return dnsFiles(running);
                }
            }, config, 2000);
            DnsReloader reload = reloader;
            Supplier<Readiness> readiness = () -> Readiness.of(server.isReady(), "edges " + describe(server.targetHealth()));
            AdminRole adminRole = new AdminRole(DNS_ID, registry, readiness, null, new DrainSwitch(), Map.of(
                    "/rtt", body -> "{\"accepted\":" + server.reportRtt(RttReport.parse(body))
                            + ",\"entries\":" + server.rttEntries() + "}\n",
                    "/reload", body -> reload.reloadNow()));
            AdminServer admin = AdminServer.start(endpoints.bind(topology.dns().admin()), loops, adminRole, adminToken());
            dnsAdmin.set(admin.address());
            return new RunningRole(DNS_ID, "dns", dns.udpAddress(), null, admin, adminRole, dns, List.of(reloader));
        } catch (IOException | LaunchException e) {
            closeQuietly(reloader);
            throw failed(dns, registry, e instanceof LaunchException le ? le
                    : new LaunchException("dns: cannot start: " + rootMessage(e), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(reloader);
            throw failed(dns, registry, new LaunchException("dns: interrupted while starting", e));
        }
    }

    /** The DNS configuration a topology gives: its edges as targets, its service names, the geo data. */
    private DnsConfig dnsConfig(Topology topology) throws LaunchException {
        List<DnsTarget> targets = new ArrayList<>();
        for (Node edge : topology.edges()) {
            targets.add(new DnsTarget(edge.id(), edge.address(), edge.province(), edge.carrier().label(),
                    edge.weight(), endpoints.readyz(edge.id())));
        }
        List<String> services = topology.services().keySet().stream().map(topology::serviceFqdn).toList();
        return new DnsConfig(topology.zone(), endpoints.bind(topology.dns().listen()), services, targets,
                List.of(topology.dns().listen().getAddress()), null, topology.dns().ttlSeconds(),
                topology.dns().maxAnswers(), options.healthInterval(), 3, locatorConfig())
                .withUdpSockets(topology.dns().udpThreads());
    }

    /** The files a running DNS configuration came from, for the reloader to watch. */
    private List<Path> dnsFiles(DnsConfig config) {
        List<Path> files = new ArrayList<>();
        if (topology.file() != null) {
            files.add(topology.file());
        }
        if (config.zoneFile() != null) {
            files.add(config.zoneFile());
        }
        if (options.geo() != null) {
            files.add(options.geo().city());
            files.add(options.geo().asn());
        }
        if (options.linesFile() != null) {
            files.add(options.linesFile());
        }
        return files;
    }

    /** Posts the edge's client-connection RTTs to the DNS admin port, once it is known. */
    private RttReporter rttReporter(Node node, ProxyServer edge) throws IOException {
        String token = adminToken().value();
        return new RttReporter(node.id(), edge::clientConnections, this::dnsRttEndpoint, token, RTT_REPORT_INTERVAL);
    }

    /** Measures the edge's handshake time to the topology's probe targets and posts it like client RTTs. */
    private RttProber rttProber(Node node) throws IOException {
        RttProbes probes = topology.dns().rttProbes();
        return new RttProber(node.id(), probes.targets(), this::dnsRttEndpoint, adminToken().value(),
                probes.interval(), probes.timeout());
    }

    /** The DNS's {@code POST /rtt} URL, or null while its admin address is not known. */
    private URI dnsRttEndpoint() {
        InetSocketAddress admin = dnsAdmin.get();
        return admin == null ? null : URI.create("http://" + Endpoints.hostPort(admin) + "/rtt");
    }

    /** Lease requests to each key's budget owner among the central nodes; null when there is no central. */
    private HttpLeaseTransport leaseTransport() throws LaunchException, IOException {
        Map<String, URI> owners = new HashMap<>();
        for (Node n : topology.nodes()) {
            if (n.tier() == Tier.CENTRAL) {
                owners.put(n.id(), endpoints.admin(n.id(), LEASE_PATH));
            }
        }
        return owners.isEmpty() ? null : new HttpLeaseTransport(new BudgetOwners<>(owners), adminToken().value());
    }

    /** A client for node-to-node requests: HTTP/1.1, so its GETs go through the tiers' caches like any other. */
    private static HttpClient http11Client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** Takes in new publications, then prunes the origin's old revisions when the topology asks for it. */
    private static void observe(RolloutController rollout, int originKeepRevisions) {
        try {
            rollout.observePublished();
            rollout.pruneRevisions(originKeepRevisions);
        } catch (IOException | RuntimeException e) {
            System.getLogger(RoleLauncher.class.getName()).log(System.Logger.Level.WARNING,
                    () -> "rollout: cannot look at published revisions: " + e.getMessage());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing a helper that never ran: nothing to report
            }
        }
    }

    /** The admin token in the state directory, created by the first role that needs it. */
    private AdminToken adminToken() throws IOException {
        if (adminToken == null) {
            adminToken = AdminToken.loadOrCreate(state.root());
        }
        return adminToken;
    }

    /** GeoIP/ASN data and operator lines for the DNS, or null to steer by health alone. */
    private LocatorConfig locatorConfig() {
        if (options.geo() == null && options.linesFile() == null) {
            return null;
        }
        return options.geo() != null ? options.geo().locatorConfig(options.linesFile())
                : new LocatorConfig(null, null, options.linesFile(), null);
    }

    private ProxyConfig proxyConfig(Node node) throws LaunchException, IOException {
        List<ParentConfig> parents = new ArrayList<>();
        for (String parent : node.parents()) {
            parents.add(new ParentConfig(parent, endpoints.http(parent), endpoints.readyz(parent)));
        }
        NodeCertificate cert = certificate(node);
        return new ProxyConfig(node.id(), node.tier().label(), endpoints.bind(node, node.ports().http()),
                endpoints.bind(node, node.ports().https()), cert.chain(), cert.key(), parents,
                CONNECT_TIMEOUT, options.healthInterval(),
                CacheConfig.withDisk(state.root().resolve("cache").resolve(node.id())),
                ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT,
                // Keys are checked once, at the edge; inner tiers trust their children.
                node.tier() == Tier.EDGE ? ApiAccessMapping.of(topology) : ApiAccess.OPEN,
                // Tiers talk h2c to each other: one multiplexed connection carries many streams across the
                // long-haul links (no per-request handshakes); a parent without h2 gets HTTP/1.1.
                UpstreamConfig.DEFAULT.withGrandparents(grandparents(node)).withHttp2(true))
                .withAccessLog(accessLog(node));
    }

    /** The node's access log file: the topology's {@code access_log} (relative to the state dir), else the default. */
    private static String reopenAccessLog(String nodeId, ProxyServer proxy) {
        try {
            return "{\"node\":\"" + nodeId + "\",\"reopened\":" + proxy.reopenAccessLog() + "}\n";
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private Path accessLog(Node node) {
        if (!options.accessLogs() || Node.ACCESS_LOG_OFF.equals(node.accessLog())) {
            return null;
        }
        return node.accessLog() == null ? state.accessLog(node.id()) : state.root().resolve(node.accessLog());
    }

    /** The parents' parents (not already parents), in order: the tier a proxy fails over to last. */
    private List<ParentConfig> grandparents(Node node) throws LaunchException {
        Set<String> ids = new LinkedHashSet<>();
        for (String parent : node.parents()) {
            topology.node(parent).ifPresent(p -> ids.addAll(p.parents()));
        }
        node.parents().forEach(ids::remove);
        List<ParentConfig> grandparents = new ArrayList<>();
        for (String id : ids) {
            grandparents.add(new ParentConfig(id, endpoints.http(id), endpoints.readyz(id)));
        }
        return grandparents;
    }

    /** Names on a node certificate: its id, the service names (clients reach edges by them) and its address. */
    private NodeCertificate certificate(Node node) throws IOException {
        List<String> names = new ArrayList<>(topology.services().values());
        names.add(node.id() + "." + topology.zone().replaceAll("\\.$", ""));
        names.add("localhost");
        List<InetAddress> addresses = List.of(node.address());
        if (certificateAuthority == null) {
            certificateAuthority = LocalCertificateAuthority.openOrCreate(state.tls());
        }
        return certificateAuthority.issue(node.id(), names, addresses);
    }

    private static PrometheusMeterRegistry registry(String id, String kind) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("node", id, "tier", kind);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        return registry;
    }

    /** Stops the helpers started beside a role that failed to start, then the role. */
    private static LaunchException failed(List<AutoCloseable> helpers, AutoCloseable role, PrometheusMeterRegistry registry,
                                          LaunchException e) {
        helpers.forEach(RoleLauncher::closeQuietly);
        return failed(role, registry, e);
    }

    private static LaunchException failed(AutoCloseable role, PrometheusMeterRegistry registry, LaunchException e) {
        if (role != null) {
            try {
                role.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        registry.close();
        return e;
    }

    static String describe(Map<String, Boolean> health) {
        StringBuilder sb = new StringBuilder();
        health.forEach((id, up) -> sb.append(sb.isEmpty() ? "" : ", ").append(id).append(up ? " up" : " down"));
        return sb.isEmpty() ? "none" : sb.toString();
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && (message == null || !message.contains(cause.getMessage()))) {
            message = (message == null ? "" : message + ": ") + cause.getMessage();
        }
        return message == null ? e.toString() : message;
    }
}
