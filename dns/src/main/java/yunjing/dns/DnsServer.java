package yunjing.dns;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import yunjing.common.net.EventLoops;
import yunjing.dns.answer.Responder;
import yunjing.dns.health.HealthChecker;
import yunjing.dns.locate.ClientLocator;
import yunjing.dns.locate.Location;
import yunjing.dns.steer.CarrierProvincePolicy;
import yunjing.dns.steer.HealthWeightedPolicy;
import yunjing.dns.steer.RttTable;
import yunjing.dns.steer.SettlingTtlPolicy;
import yunjing.dns.steer.SteeringPolicy;
import yunjing.dns.wire.DnsListeners;
import yunjing.dns.wire.Protection;
import yunjing.dns.zone.ZoneData;
import yunjing.dns.zone.ZoneLoader;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The authoritative DNS server for one zone: answers from generated apex records, an optional
 * master file and the steered service names, over UDP and TCP on one port.
 *
 * <p>Wiring (each part in its own package): {@code zone} loads the data, {@code health} probes the
 * targets on its own thread, {@code locate} (when {@link DnsConfig#locator()} is set) places the
 * client by carrier and province, {@code steer} picks addresses per query from the health state,
 * that location and the measured RTTs, {@code answer} builds responses, {@code wire} runs the Netty
 * listeners and the message envelope (EDNS, the ECS echo, truncation).
 *
 * <p>Hot reload: everything a query reads (zone, locator, targets, policy) is one immutable
 * {@link Generation} behind an {@link AtomicReference}. {@link #reload} builds a complete new one
 * off the event loops and swaps it in with one write, so every query sees either the old or the new
 * state, never a mix, and none is dropped; a file that fails to load leaves the old one serving.
 * The RTT table and (while the probed targets stay the same) the health checker live across
 * generations. The listeners too, unless the listen address changes: then the new address is bound
 * before anything else changes (a bind failure refuses the reload) and the old sockets close once
 * the new ones answer. Protection limits change in the running listeners. A replaced locator is
 * closed a little later, after queries that were still reading it have finished.
 *
 * <p>Lifecycle: {@link #start} returns a listening server; it becomes {@linkplain #isReady() ready}
 * when the first health round has finished; {@link #close} (idempotent) stops listening and stops
 * the health thread and releases the location databases. The event loops belong to the caller and
 * stay open.
 */
public final class DnsServer implements AutoCloseable {

    /** Health probes give up after this long (connect, and again for the response). */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    /** A replaced locator is closed this long after the swap (queries in flight may still read it). */
    static final long RETIRE_DELAY_SECONDS = 10;

    private static final System.Logger LOG = System.getLogger(DnsServer.class.getName());

    /**
     * What one configuration answers from; immutable once built.
     *
     * @param locator null without location data
     */
    private record Generation(DnsConfig config, Responder responder, HealthChecker health, ClientLocator locator,
            List<Meter> gauges) {
    }

    private final EventLoops loops;
    private volatile DnsListeners listeners; // replaced (under reloadLock) when the listen address changes
    private final AtomicReference<Generation> current;
    private final RttTable rtt;
    private final MeterRegistry metrics;
    private Meter rttGauge; // under reloadLock: tagged with the zone, which a reload may change
    private final Object reloadLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DnsServer(EventLoops loops, DnsListeners listeners, AtomicReference<Generation> current, RttTable rtt,
            MeterRegistry metrics, Meter rttGauge) {
        this.loops = loops;
        this.listeners = listeners;
        this.current = current;
        this.rtt = rtt;
        this.metrics = metrics;
        this.rttGauge = rttGauge;
    }

    /**
     * Loads the zone, binds UDP and TCP, and starts health checking.
     *
     * @throws IOException          the zone file or a location data file is unreadable or wrong; the
     *                              message starts with {@code file:line:} for syntax errors, {@code file:}
     *                              for others
     * @throws java.net.BindException the address cannot be bound; the message names it
     */
    public static DnsServer start(DnsConfig config, EventLoops loops, MeterRegistry metrics)
            throws IOException, InterruptedException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(loops, "loops");
        Objects.requireNonNull(metrics, "metrics");
        AtomicReference<Generation> current = new AtomicReference<>();
        // The RTT table outlives generations; it places reported blocks with whichever locator is current.
        RttTable rtt = new RttTable(address -> locate(current.get(), address), System::nanoTime);
        Generation built = build(config, rtt, null, metrics);
        Generation first = new Generation(built.config(), built.responder(), built.health(), built.locator(),
                gauges(config, built.health(), metrics));
        current.set(first);
        DnsListeners listeners;
        try {
            listeners = bind(config, loops, current, metrics);
        } catch (IOException | InterruptedException | RuntimeException e) {
            first.health().close();
            first.gauges().forEach(metrics::remove);
            closeQuietly(first.locator());
            throw e;
        }
        first.health().start();
        LOG.log(System.Logger.Level.INFO, "dns listening on " + listeners.udpAddress() + ": udp "
                + listeners.udpSockets() + " socket(s), " + listeners.udpIo() + "; tcp");
        return new DnsServer(loops, listeners, current, rtt, metrics, rttGauge(config, rtt, metrics));
    }

    /** UDP and TCP on the configuration's address, answering from whatever generation is current. */
    private static DnsListeners bind(DnsConfig config, EventLoops loops, AtomicReference<Generation> current,
            MeterRegistry metrics) throws IOException, InterruptedException {
        return DnsListeners.bind(config.bind(), loops, () -> current.get().responder(), metrics,
                DnsListeners.TCP_IDLE_TIMEOUT, protection(config), config.udpSockets());
    }

    private static Protection protection(DnsConfig config) {
        return new Protection(config.rrlResponsesPerSecond(), config.rrlSlip(), config.maxTcpConnections());
    }

    private static Meter rttGauge(DnsConfig config, RttTable rtt, MeterRegistry metrics) {
        return Gauge.builder("yunjing.dns.rtt.entries", rtt, RttTable::size)
                .description("(client scope, target) RTT averages held by the steering table")
                .tag("zone", config.zone())
                .register(metrics);
    }

    private static Location locate(Generation g, java.net.InetAddress address) {
        return g == null || g.locator() == null ? Location.UNKNOWN : g.locator().locate(address);
    }

    /**
     * Builds a generation: zone, locator, policy; the health checker of {@code previous} when it
     * probes the same targets the same way, else a new one (not started); no gauges yet. On failure
     * whatever it opened is closed again.
     */
    private static Generation build(DnsConfig config, RttTable rtt, Generation previous, MeterRegistry metrics)
            throws IOException {
        Name origin = name(config.zone());
        List<Name> steered = new ArrayList<>();
        for (String s : config.serviceNames()) {
            steered.add(name(s));
        }
        ZoneData zone = ZoneLoader.load(origin, steered, config.nameserverAddresses(), config.zoneFile(),
                System.currentTimeMillis() / 1000);
        ClientLocator locator = config.locator() == null ? null : ClientLocator.open(config.locator());
        HealthChecker health = null;
        try {
            health = previous != null && sameProbes(previous.config(), config) ? previous.health()
                    : new HealthChecker(config.targets(), config.healthInterval(), config.failuresToMarkDown(),
                            config.successesToMarkUp(), PROBE_TIMEOUT, config.healthStateFile());
            SteeringPolicy policy;
            if (locator == null) {
                policy = new HealthWeightedPolicy(config.targets(), health::isHealthy,
                        config.answerTtlSeconds(), config.maxAnswers(), rtt);
            } else {
                policy = new CarrierProvincePolicy(config.targets(), health::isHealthy, locator::lookup,
                        config.answerTtlSeconds(), config.maxAnswers(), rtt);
            }
            policy = new SettlingTtlPolicy(policy, health::unsettled);
            return new Generation(config, new Responder(zone, policy), health, locator, List.of());
        } catch (RuntimeException e) {
            if (health != null && (previous == null || health != previous.health())) {
                health.close();
            }
            closeQuietly(locator);
            throw e;
        }
    }

    private static List<Meter> gauges(DnsConfig config, HealthChecker health, MeterRegistry metrics) {
        List<Meter> gauges = new ArrayList<>();
        for (DnsTarget target : config.targets()) {
            gauges.add(Gauge.builder("yunjing.dns.target.healthy", health, h -> h.isHealthy(target.id()) ? 1 : 0)
                    .description("1 while the target gets traffic, 0 while it is marked down or draining")
                    .tag("zone", config.zone())
                    .tag("target", target.id())
                    .register(metrics));
            for (String state : HealthChecker.STATES) {
                gauges.add(Gauge.builder("yunjing.dns.target.state", health, h -> state.equals(h.stateOf(target.id())) ? 1 : 0)
                        .description("1 for the target's current health state (unknown, up, down, draining), else 0")
                        .tag("zone", config.zone())
                        .tag("target", target.id())
                        .tag("state", state)
                        .register(metrics));
            }
        }
        return gauges;
    }

    /** Whether two configurations probe the same targets at the same URLs with the same rules. */
    private static boolean sameProbes(DnsConfig a, DnsConfig b) {
        if (a.targets().size() != b.targets().size()) {
            return false;
        }
        for (int i = 0; i < a.targets().size(); i++) {
            DnsTarget x = a.targets().get(i);
            DnsTarget y = b.targets().get(i);
            if (!x.id().equals(y.id()) || !Objects.equals(x.healthUrl(), y.healthUrl())) {
                return false;
            }
        }
        return a.healthInterval().equals(b.healthInterval()) && a.failuresToMarkDown() == b.failuresToMarkDown()
                && a.successesToMarkUp() == b.successesToMarkUp()
                && Objects.equals(a.healthStateFile(), b.healthStateFile());
    }

    /**
     * Replaces zone, targets, steering, location data, protection limits and the listen address with
     * those of {@code config}, atomically and without dropping a query on an address that stays the
     * same. Nothing changes when it fails.
     *
     * @throws IOException              a file of the new configuration is unreadable or wrong (message
     *                                  as for {@link #start}); the old state keeps serving
     * @throws java.net.BindException the new listen address cannot be bound; the old listeners keep
     *                                  serving
     */
    public void reload(DnsConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        synchronized (reloadLock) {
            if (closed.get()) {
                throw new IllegalStateException("closed");
            }
            Generation old = current.get();
            DnsConfig was = old.config();
            // A new address first: if it cannot be bound, nothing has changed yet.
            DnsListeners moved = null;
            if (!was.bind().equals(config.bind())) {
                try {
                    moved = bind(config, loops, current, metrics);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while binding " + config.bind());
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "dns reload refused, the old state keeps serving: " + e.getMessage());
                    throw e;
                }
            }
            if (moved == null && listeners.requestedUdpSockets() != config.udpSockets()) {
                LOG.log(System.Logger.Level.WARNING, "dns reload: udp sockets " + config.udpSockets() + " (bound: "
                        + listeners.requestedUdpSockets() + ") applies at the next start or listen address change");
            }
            Generation built;
            try {
                built = build(config, rtt, old, metrics);
            } catch (IOException | RuntimeException e) {
                if (moved != null) {
                    moved.close();
                }
                LOG.log(System.Logger.Level.WARNING, "dns reload refused, the old state keeps serving: " + e.getMessage());
                throw e;
            }
            if (built.health() != old.health()) {
                old.health().close();
                built.health().start();
            }
            // Micrometer hands back an existing gauge of the same id, still bound to the old health
            // checker: remove the old generation's gauges, then register the new one's.
            old.gauges().forEach(metrics::remove);
            Generation next = new Generation(built.config(), built.responder(), built.health(), built.locator(),
                    gauges(config, built.health(), metrics));
            current.set(next);
            if (!was.zone().equals(config.zone())) {
                metrics.remove(rttGauge);
                rttGauge = rttGauge(config, rtt, metrics);
            }
            if (moved != null) {
                // The new sockets answer from the new generation already. The old address stops
                // answering here: clients follow the new one (resolver configuration, NS glue).
                DnsListeners previous = listeners;
                listeners = moved;
                previous.close();
                LOG.log(System.Logger.Level.INFO, "dns listening on " + moved.udpAddress() + " (was " + was.bind() + ")");
            } else {
                listeners.apply(protection(config)); // new sockets were bound with it already
            }
            retire(old.locator());
            LOG.log(System.Logger.Level.INFO, "dns reloaded: " + config.targets().size() + " targets, zone "
                    + config.zone() + ", zone file " + config.zoneFile() + ", locator "
                    + (config.locator() == null ? "none" : config.locator()));
        }
    }

    /** Closes a replaced locator once queries that may still hold it are done. */
    private static void retire(ClientLocator locator) {
        if (locator != null) {
            CompletableFuture.runAsync(() -> closeQuietly(locator),
                    CompletableFuture.delayedExecutor(RETIRE_DELAY_SECONDS, TimeUnit.SECONDS));
        }
    }

    /**
     * Folds in the edges' RTT reports; reports for unknown nodes are skipped.
     *
     * @return how many were taken
     */
    public int reportRtt(List<RttReport> reports) {
        Generation g = current.get();
        int taken = 0;
        for (RttReport r : reports) {
            boolean known = g.config().targets().stream().anyMatch(t -> t.id().equals(r.node()));
            if (known) {
                rtt.record(r.node(), r.client(), r.rttMillis(), r.samples());
                taken++;
            }
        }
        return taken;
    }

    /** Entries in the RTT table (both scopes). */
    public int rttEntries() {
        return rtt.size();
    }

    private static void closeQuietly(ClientLocator locator) {
        if (locator != null) {
            try {
                locator.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing the client locator failed", e);
            }
        }
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s + ": " + e.getMessage(), e); // DnsConfig validated it already
        }
    }

    public InetSocketAddress udpAddress() {
        return listeners.udpAddress();
    }

    /** How UDP is read and written: {@code recvmmsg} (batched native I/O), {@code netty-epoll} or {@code netty-nio}. */
    public String udpIo() {
        return listeners.udpIo();
    }

    /** How many UDP sockets share the port (see {@link DnsConfig#udpSockets}). */
    public int udpSockets() {
        return listeners.udpSockets();
    }

    public InetSocketAddress tcpAddress() {
        return listeners.tcpAddress();
    }

    /** Listening, and the first health round has finished; false after {@link #close}. */
    public boolean isReady() {
        return !closed.get() && listeners.isActive() && current.get().health().firstRoundDone();
    }

    /**
     * Takes the target out of every answer at once ({@code true}), whatever its probes say, or lets
     * it back ({@code false}); kept in the health state file when one is configured. While every
     * candidate of a name is down or draining, the name fails open to all of them.
     *
     * @return whether this changed the target's draining state
     * @throws IllegalArgumentException for an id that is not a configured target
     */
    public boolean drain(String id, boolean draining) {
        return current.get().health().drain(id, draining);
    }

    /** Target id → healthy (not probed yet counts as healthy; draining does not), in configuration order. */
    public Map<String, Boolean> targetHealth() {
        return current.get().health().snapshot();
    }

    /**
     * Stops listening (accepted TCP connections included) and stops the health thread, waiting up
     * to about two seconds for it; idempotent. Call it from an ordinary thread, not an event loop.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (reloadLock) {
            Generation g = current.get();
            try {
                listeners.close();
            } finally {
                g.health().close();
                g.gauges().forEach(metrics::remove); // a stopped server's targets are no longer its to report
                metrics.remove(rttGauge);
                closeQuietly(g.locator()); // after the listeners: no event loop reads the databases any more
            }
        }
    }
}
