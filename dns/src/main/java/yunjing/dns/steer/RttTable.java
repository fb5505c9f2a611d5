package yunjing.dns.steer;

import yunjing.dns.locate.Location;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Measured round-trip times from clients to targets: an exponentially weighted moving average per
 * (client scope, target), fed by the edges' reports of the RTTs of real client connections (TCP_INFO).
 *
 * <p>Two scopes are kept for every report:
 * <ul>
 * <li>the client's block ({@code p:1.2.3.0/24}; IPv4 /24, IPv6 /48, the block a resolver's ECS
 *     usually names), the most specific, used when the block itself has been measured;
 * <li>the block's carrier × province ({@code cp:telecom|SH}, from the locator), so every client of
 *     that area benefits from the measurements of its neighbours.
 * </ul>
 * An entry older than {@link #MAX_AGE_NANOS} no longer counts (a path that stopped carrying
 * traffic says nothing about today's path) and is swept when the table is full.
 *
 * <p>EWMA: a report of {@code n} samples with mean {@code r} moves the average by
 * {@code 1 - (1 - ALPHA)^n} of the way to {@code r} (n capped at {@value #MAX_SAMPLES_PER_REPORT},
 * so one busy report cannot erase the history); the first report sets it.
 *
 * <p>Thread-safety: reports arrive on the admin server's event loop, reads happen on the DNS event
 * loops; entries are immutable values in a {@link ConcurrentHashMap}, replaced atomically.
 */
public final class RttTable {

    /** Weight of one sample in the average. */
    static final double ALPHA = 0.1;
    static final int MAX_SAMPLES_PER_REPORT = 20;
    /** Entries older than this are ignored and may be swept. */
    static final long MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** Most (scope, target) entries; a report for a new entry past this is dropped (and counted). */
    static final int MAX_ENTRIES = 200_000;
    /** Largest plausible RTT; above it a report is refused as bogus. */
    public static final double MAX_RTT_MILLIS = 60_000;

    private record Key(String scope, String target) {
    }

    private record Ewma(double millis, long updatedNanos) {
    }

    private final ConcurrentHashMap<Key, Ewma> entries = new ConcurrentHashMap<>();
    private final Function<InetAddress, Location> locator; // null: no area scope
    private final LongSupplier nanoClock;
    private final AtomicInteger prefixEntries = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * @param locator   places a reported client block for the carrier × province scope (called on the
     *                  reporting thread); null = per-block scope only
     * @param nanoClock {@link System#nanoTime} outside tests
     */
    public RttTable(Function<InetAddress, Location> locator, LongSupplier nanoClock) {
        this.locator = locator;
        this.nanoClock = nanoClock;
    }

    /** A table without location data (per-block scope only), on the system clock. */
    public static RttTable withoutLocation() {
        return new RttTable(null, System::nanoTime);
    }

    /**
     * Folds in a report: clients of {@code block} (any address inside it; its /24 or /48 is the
     * scope) reached {@code target} in {@code rttMillis} on average over {@code samples} connections.
     *
     * @throws IllegalArgumentException for an RTT outside (0, {@value #MAX_RTT_MILLIS}] or samples < 1
     */
    public void record(String target, InetAddress block, double rttMillis, int samples) {
        if (!(rttMillis > 0 && rttMillis <= MAX_RTT_MILLIS)) {
            throw new IllegalArgumentException("rtt_ms: " + rttMillis + " (expected: > 0 and <= " + MAX_RTT_MILLIS + ")");
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples: " + samples + " (expected: >= 1)");
        }
        long now = nanoClock.getAsLong();
        update(new Key(prefixScope(block), target), rttMillis, samples, now);
        if (locator != null) {
            String area = areaScope(locator.apply(block));
            if (area != null) {
                update(new Key(area, target), rttMillis, samples, now);
            }
        }
    }

    private void update(Key key, double rtt, int samples, long now) {
        if (!entries.containsKey(key) && entries.size() >= MAX_ENTRIES && !sweep(now)) {
            dropped.incrementAndGet();
            return;
        }
        double weight = 1 - Math.pow(1 - ALPHA, Math.min(samples, MAX_SAMPLES_PER_REPORT));
        Ewma before = entries.get(key);
        Ewma after = entries.merge(key, new Ewma(rtt, now), (old, fresh) -> now - old.updatedNanos > MAX_AGE_NANOS
                ? fresh : new Ewma(old.millis + weight * (rtt - old.millis), now));
        if (before == null && after != null && key.scope.startsWith("p:")) {
            prefixEntries.incrementAndGet();
        }
    }

    /** Removes expired entries; whether that made room. */
    private boolean sweep(long now) {
        entries.entrySet().removeIf(e -> {
            boolean expired = now - e.getValue().updatedNanos > MAX_AGE_NANOS;
            if (expired && e.getKey().scope.startsWith("p:")) {
                prefixEntries.decrementAndGet();
            }
            return expired;
        });
        return entries.size() < MAX_ENTRIES;
    }

    /** The smoothed RTT from clients of {@code scope} to {@code target}, if measured recently. */
    public OptionalDouble rttMillis(String scope, String target) {
        if (scope == null) {
            return OptionalDouble.empty();
        }
        Ewma e = entries.get(new Key(scope, target));
        if (e == null || nanoClock.getAsLong() - e.updatedNanos > MAX_AGE_NANOS) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(e.millis);
    }

    /** The block scope of a client address: {@code p:a.b.c.0/24}, or its /48 for IPv6. */
    public static String prefixScope(InetAddress client) {
        byte[] a = client.getAddress();
        int bits = client instanceof Inet4Address ? 24 : 48;
        for (int i = bits / 8; i < a.length; i++) {
            a[i] = 0;
        }
        try {
            return "p:" + InetAddress.getByAddress(a).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // a 4- or 16-byte array is always an address
        }
    }

    /** The carrier × province scope of a location, or null when either is unknown. */
    public static String areaScope(Location where) {
        if (where == null || where.carrier() == null || where.province() == null) {
            return null;
        }
        return "cp:" + where.carrier().toLowerCase(Locale.ROOT) + "|" + where.province().toUpperCase(Locale.ROOT);
    }

    /** Entries held (both scopes, expired ones not yet swept included): the size gauge. */
    public int size() {
        return entries.size();
    }

    /** Whether any client block has its own measurements (then answers depend on the /24, see the ECS scope). */
    /**
     * The ECS scope an answer ranked by RTT must claim: the block RTTs are kept for (/24, /48) once
     * any block has measurements of its own, since neighbouring blocks may then be answered
     * differently; 0 while none has.
     */
    int measuredScope(boolean v4) {
        return hasPrefixEntries() ? (v4 ? 24 : 48) : 0;
    }

    boolean hasPrefixEntries() {
        return prefixEntries.get() > 0;
    }

    /** Reports for new entries refused because the table was full. */
    public long dropped() {
        return dropped.get();
    }
}
