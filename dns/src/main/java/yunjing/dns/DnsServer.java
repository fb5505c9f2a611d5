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
import yunjing.dns.steer.CarrierProvincePolicy;
import yunjing.dns.steer.HealthWeightedPolicy;
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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The authoritative DNS server for one zone: answers from generated apex records, an optional
 * master file and the steered service names, over UDP and TCP on one port.
 *
 * <p>Wiring (each part in its own package): {@code zone} loads the data, {@code health} probes the
 * targets on its own thread, {@code locate} (when {@link DnsConfig#locator()} is set) places the
 * client by carrier and province, {@code steer} picks addresses per query from the health state
 * and that location, {@code answer} builds responses, {@code wire} runs the Netty listeners and the
 * message envelope (EDNS, the ECS echo, truncation).
 *
 * <p>Lifecycle: {@link #start} returns a listening server; it becomes {@linkplain #isReady() ready}
 * when the first health round has finished; {@link #close} (idempotent) stops listening and stops
 * the health thread and releases the location databases. The event loops belong to the caller and
 * stay open.
 */
public final class DnsServer implements AutoCloseable {

    /** Health probes give up after this long (connect, and again for the response). */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private static final System.Logger LOG = System.getLogger(DnsServer.class.getName());

    private final DnsListeners listeners;
    private final HealthChecker health;
    private final ClientLocator locator; // null without location data
    private final MeterRegistry metrics;
    private final List<Meter> gauges;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DnsServer(DnsListeners listeners, HealthChecker health, ClientLocator locator, MeterRegistry metrics,
            List<Meter> gauges) {
        this.listeners = listeners;
        this.health = health;
        this.locator = locator;
        this.metrics = metrics;
        this.gauges = gauges;
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
        Name origin = name(config.zone());
        List<Name> steered = new ArrayList<>();
        for (String s : config.serviceNames()) {
            steered.add(name(s));
        }
        ZoneData zone = ZoneLoader.load(origin, steered, config.nameserverAddresses(), config.zoneFile(),
                System.currentTimeMillis() / 1000);
        HealthChecker health = new HealthChecker(config.targets(), config.healthInterval(),
                config.failuresToMarkDown(), config.successesToMarkUp(), PROBE_TIMEOUT, config.healthStateFile());
        ClientLocator locator = null;
        DnsListeners listeners;
        try {
            SteeringPolicy policy;
            if (config.locator() == null) {
                policy = new HealthWeightedPolicy(config.targets(), health::isHealthy,
                        config.answerTtlSeconds(), config.maxAnswers());
            } else {
                locator = ClientLocator.open(config.locator());
                policy = new CarrierProvincePolicy(config.targets(), health::isHealthy, locator::lookup,
                        config.answerTtlSeconds(), config.maxAnswers());
            }
            policy = new SettlingTtlPolicy(policy, health::unsettled);
            listeners = DnsListeners.bind(config.bind(), loops, new Responder(zone, policy), metrics,
                    DnsListeners.TCP_IDLE_TIMEOUT, new Protection(config.rrlResponsesPerSecond(), config.rrlSlip(),
                            config.maxTcpConnections()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            health.close();
            closeQuietly(locator);
            throw e;
        }
        health.start();
        List<Meter> gauges = new ArrayList<>();
        for (DnsTarget target : config.targets()) {
            gauges.add(Gauge.builder("yunjing.dns.target.healthy", health, h -> h.isHealthy(target.id()) ? 1 : 0)
                    .description("1 while the target gets traffic, 0 while it is marked down")
                    .tag("zone", config.zone())
                    .tag("target", target.id())
                    .register(metrics));
        }
        return new DnsServer(listeners, health, locator, metrics, gauges);
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

    public InetSocketAddress tcpAddress() {
        return listeners.tcpAddress();
    }

    /** Listening, and the first health round has finished; false after {@link #close}. */
    public boolean isReady() {
        return !closed.get() && listeners.isActive() && health.firstRoundDone();
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
        return health.drain(id, draining);
    }

    /** Target id → healthy (not probed yet counts as healthy; draining does not), in configuration order. */
    public Map<String, Boolean> targetHealth() {
        return health.snapshot();
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
        try {
            listeners.close();
        } finally {
            health.close();
            gauges.forEach(metrics::remove); // a stopped server's targets are no longer its to report
            closeQuietly(locator); // after the listeners: no event loop reads the databases any more
        }
    }
}
