package yunjing.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import yunjing.dns.locate.LocatorConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable configuration of one authoritative server. Names are normalised to absolute form (a
 * trailing dot is added when missing; names are always read as absolute, never relative to the zone).
 * Zero for {@code answerTtlSeconds}, {@code maxAnswers}, {@code failuresToMarkDown}, {@code successesToMarkUp},
 * {@code rrlSlip} and {@code maxTcpConnections}, and null for
 * {@code healthInterval}, select the defaults below.
 *
 * @param zone                the zone we are authoritative for, e.g. {@code mirror.test.}
 * @param bind                UDP and TCP listen address; port 0 picks one free port for both
 * @param serviceNames        steered names inside the zone, e.g. {@code api.mirror.test.}
 * @param targets             the edge nodes steered names point at
 * @param nameserverAddresses the addresses of {@code ns1.<zone>}, the zone's only generated NS (at least one)
 * @param zoneFile            optional RFC 1035 master file with extra records (origin = zone); may be null
 * @param answerTtlSeconds    TTL of steered answers (default 30)
 * @param maxAnswers          most addresses in one steered answer (default 2)
 * @param healthInterval      pause between health rounds (default 5 s)
 * @param failuresToMarkDown  consecutive failed probes that take a target out (default 3)
 * @param locator             where client-location data lives; null = no location data: steering
 *                            looks at health and weight only ({@code HealthWeightedPolicy}); set =
 *                            carrier/province steering ({@code CarrierProvincePolicy})
 * @param successesToMarkUp   consecutive successful probes that bring a down target back (default 2)
 * @param healthStateFile     optional file where health states and drains survive a restart; null = not kept
 * @param rrlResponsesPerSecond UDP responses per second allowed to one client block (IPv4 /24, IPv6 /56),
 *                            response rate limiting as in BIND; 0 = off (the default)
 * @param rrlSlip             with RRL on, every {@code rrlSlip}-th limited response is sent truncated (TC)
 *                            instead of dropped, so real clients retry over TCP (default 2; 1 = all slip)
 * @param maxTcpConnections   most TCP connections open at once; excess ones are closed on accept
 *                            (default {@value #DEFAULT_MAX_TCP_CONNECTIONS})
 * @param udpSockets          UDP sockets sharing the port, each on its own event loop (gdnsd's
 *                            {@code udp_threads}); 0 = one per core. Read at start: a reload that
 *                            changes it is logged and applies at the next start
 */
public record DnsConfig(
        String zone,
        InetSocketAddress bind,
        List<String> serviceNames,
        List<DnsTarget> targets,
        List<InetAddress> nameserverAddresses,
        Path zoneFile,
        int answerTtlSeconds,
        int maxAnswers,
        Duration healthInterval,
        int failuresToMarkDown,
        LocatorConfig locator,
        int successesToMarkUp,
        Path healthStateFile,
        int rrlResponsesPerSecond,
        int rrlSlip,
        int maxTcpConnections,
        int udpSockets) {

    public static final int DEFAULT_ANSWER_TTL_SECONDS = 30;
    public static final int DEFAULT_MAX_ANSWERS = 2;
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(5);
    public static final int DEFAULT_FAILURES_TO_MARK_DOWN = 3;
    public static final int DEFAULT_SUCCESSES_TO_MARK_UP = 2;
    public static final int DEFAULT_RRL_SLIP = 2;
    public static final int DEFAULT_MAX_TCP_CONNECTIONS = 1024;

    /** One UDP socket per core. */
    public DnsConfig(String zone, InetSocketAddress bind, List<String> serviceNames, List<DnsTarget> targets,
            List<InetAddress> nameserverAddresses, Path zoneFile, int answerTtlSeconds, int maxAnswers,
            Duration healthInterval, int failuresToMarkDown, LocatorConfig locator, int successesToMarkUp,
            Path healthStateFile, int rrlResponsesPerSecond, int rrlSlip, int maxTcpConnections) {
        this(zone, bind, serviceNames, targets, nameserverAddresses, zoneFile, answerTtlSeconds, maxAnswers, healthInterval,
                failuresToMarkDown, locator, successesToMarkUp, healthStateFile, rrlResponsesPerSecond, rrlSlip,
                maxTcpConnections, 0);
    }

    /** Without location data: health and weight steering only. */
    public DnsConfig(String zone, InetSocketAddress bind, List<String> serviceNames, List<DnsTarget> targets,
            List<InetAddress> nameserverAddresses, Path zoneFile, int answerTtlSeconds, int maxAnswers,
            Duration healthInterval, int failuresToMarkDown) {
        this(zone, bind, serviceNames, targets, nameserverAddresses, zoneFile, answerTtlSeconds, maxAnswers,
                healthInterval, failuresToMarkDown, null);
    }

    /** With location data, and defaults for hysteresis up, the state file (none) and protection (RRL off). */
    public DnsConfig(String zone, InetSocketAddress bind, List<String> serviceNames, List<DnsTarget> targets,
            List<InetAddress> nameserverAddresses, Path zoneFile, int answerTtlSeconds, int maxAnswers,
            Duration healthInterval, int failuresToMarkDown, LocatorConfig locator) {
        this(zone, bind, serviceNames, targets, nameserverAddresses, zoneFile, answerTtlSeconds, maxAnswers,
                healthInterval, failuresToMarkDown, locator, 0, null, 0, 0, 0);
    }

    public DnsConfig {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(serviceNames, "serviceNames");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(nameserverAddresses, "nameserverAddresses");
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("bind: " + bind + " (expected: a resolved address)");
        }
        zone = absolute(zone);
        Name origin = parse("zone", zone);
        List<String> names = new ArrayList<>(serviceNames.size());
        Set<Name> seenNames = new HashSet<>();
        for (String s : serviceNames) {
            String name = absolute(Objects.requireNonNull(s, "serviceNames element"));
            Name parsed = parse("serviceNames", name);
            if (!parsed.subdomain(origin)) {
                throw new IllegalArgumentException("serviceNames: " + name + " (expected: inside the zone " + zone + ")");
            }
            if (!seenNames.add(parsed)) {
                throw new IllegalArgumentException("serviceNames: " + name + " listed twice");
            }
            names.add(name);
        }
        serviceNames = List.copyOf(names);
        targets = List.copyOf(targets);
        Set<String> ids = new HashSet<>();
        for (DnsTarget t : targets) {
            if (!ids.add(t.id())) {
                throw new IllegalArgumentException("targets: id " + t.id() + " used twice (expected: unique ids)");
            }
        }
        nameserverAddresses = List.copyOf(nameserverAddresses);
        if (nameserverAddresses.isEmpty()) {
            throw new IllegalArgumentException("nameserverAddresses: empty (expected: the addresses of ns1." + zone + ")");
        }
        answerTtlSeconds = orDefault("answerTtlSeconds", answerTtlSeconds, DEFAULT_ANSWER_TTL_SECONDS);
        maxAnswers = orDefault("maxAnswers", maxAnswers, DEFAULT_MAX_ANSWERS);
        failuresToMarkDown = orDefault("failuresToMarkDown", failuresToMarkDown, DEFAULT_FAILURES_TO_MARK_DOWN);
        successesToMarkUp = orDefault("successesToMarkUp", successesToMarkUp, DEFAULT_SUCCESSES_TO_MARK_UP);
        if (rrlResponsesPerSecond < 0) {
            throw new IllegalArgumentException("rrlResponsesPerSecond: " + rrlResponsesPerSecond
                    + " (expected: > 0, or 0 for off)");
        }
        rrlSlip = orDefault("rrlSlip", rrlSlip, DEFAULT_RRL_SLIP);
        maxTcpConnections = orDefault("maxTcpConnections", maxTcpConnections, DEFAULT_MAX_TCP_CONNECTIONS);
        if (udpSockets < 0) {
            throw new IllegalArgumentException("udpSockets: " + udpSockets + " (expected: > 0, or 0 for one per core)");
        }
        if (healthInterval == null) {
            healthInterval = DEFAULT_HEALTH_INTERVAL;
        } else if (healthInterval.isNegative() || healthInterval.isZero()) {
            throw new IllegalArgumentException("healthInterval: " + healthInterval + " (expected: > 0)");
        }
    }

    /** This configuration with {@code sockets} UDP sockets (0: one per core). */
    public DnsConfig withUdpSockets(int sockets) {
        return new DnsConfig(zone, bind, serviceNames, targets, nameserverAddresses, zoneFile, answerTtlSeconds, maxAnswers,
                healthInterval, failuresToMarkDown, locator, successesToMarkUp, healthStateFile, rrlResponsesPerSecond,
                rrlSlip, maxTcpConnections, sockets);
    }

    private static String absolute(String name) {
        return name.endsWith(".") ? name : name + ".";
    }

    private static Name parse(String field, String name) {
        try {
            return Name.fromString(name);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(field + ": " + name + " (" + e.getMessage() + ")", e);
        }
    }

    private static int orDefault(String field, int value, int defaultValue) {
        if (value < 0) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: > 0, or 0 for the default "
                    + defaultValue + ")");
        }
        return value == 0 ? defaultValue : value;
    }
}
