package yunjing.dns.wire;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's meters:
 * <ul>
 * <li>{@code yunjing.dns.queries} (counter; tags {@code rcode}, {@code qtype}, {@code transport}),
 * <li>{@code yunjing.dns.answer.latency} (function timer: count and total, received to encoded answer;
 *     tag {@code transport}),
 * <li>{@code yunjing.dns.names} (counter; tag {@code name}: a name of the zone, or {@code (nxdomain)},
 *     {@code (refused)}, {@code (other)}),
 * <li>{@code yunjing.dns.truncated} (counter; UDP answers sent with TC),
 * <li>{@code yunjing.dns.dropped} (counter; tag {@code reason}: packets that got no answer at all),
 * <li>{@code yunjing.dns.steered} (counter; tag {@code rule}: answers of steered names by the rule that
 *     chose them, e.g. {@code carrier+province}, {@code any}, {@code fail-open}, {@code health}),
 * <li>{@code yunjing.dns.failopen} (counter; steered answers given from all targets because none of
 *     the name's candidates was healthy),
 * <li>{@code yunjing.dns.slipped} (counter; rate-limited UDP responses sent truncated instead of dropped),
 * <li>{@code yunjing.dns.errors} (counter; exceptions caught while handling a packet, which would
 *     otherwise have escaped: each got SERVFAIL or no answer).
 * </ul>
 * Query types outside a fixed set are counted as {@code other}, so a scan of all 65536 types
 * cannot blow up the registry. Thread-safe; meters are cached so the hot path does one map lookup.
 */
final class QueryMetrics {

    private static final Set<Integer> NAMED_TYPES = Set.of(Type.A, Type.AAAA, Type.NS, Type.SOA, Type.CNAME,
            Type.TXT, Type.CAA, Type.MX, Type.SRV, Type.PTR, Type.ANY, Type.HTTPS, Type.SVCB, Type.DS, Type.DNSKEY,
            Type.AXFR, Type.IXFR);
    /** Stands for "no question could be read" in the qtype tag. */
    static final int NO_QTYPE = -1;
    private static final int OTHER_KEY = 0x1_0000;
    private static final int NONE_KEY = 0x1_0001;

    private final MeterRegistry registry;
    private final Map<Long, Counter> queries = new ConcurrentHashMap<>();
    /**
     * The same counters by (transport, rcode below {@value #FAST_RCODES}, qtype slot) in a plain array,
     * filled from {@link #queries} on first use: the per-query lookup then boxes nothing and hashes
     * nothing. A racy fill is harmless, every writer stores the registry's one counter.
     */
    private final Counter[] queryCounters = new Counter[Transport.values().length * FAST_RCODES * TYPE_SLOTS];
    private static final int FAST_RCODES = 32;
    private static final int[] SLOT_TYPES = NAMED_TYPES.stream().mapToInt(Integer::intValue).sorted().toArray();
    /** Named types, then "other", then "none". */
    private static final int TYPE_SLOTS = SLOT_TYPES.length + 2;
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> steered = new ConcurrentHashMap<>();
    /** Per-name counters; dnsjava's {@link Name} compares case-insensitively. */
    private final Map<Name, Counter> names = new ConcurrentHashMap<>();
    private final Map<String, Counter> otherNames = new ConcurrentHashMap<>();
    /** The counter of the name counted last, found by identity (most queries ask the same steered name). */
    private volatile NamedCounter lastNamed;
    static final int MAX_NAMES = 10_000;
    private final Latency udpLatency;
    private final Latency tcpLatency;
    private final Counter truncated;
    private final Counter failOpen;
    private final Counter errors;
    private final Counter slipped;

    QueryMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.udpLatency = latency(registry, Transport.UDP);
        this.tcpLatency = latency(registry, Transport.TCP);
        this.truncated = Counter.builder("yunjing.dns.truncated")
                .description("UDP answers too large for the client, sent with TC")
                .register(registry);
        this.failOpen = Counter.builder("yunjing.dns.failopen")
                .description("steered answers from all targets because none of the name's candidates was healthy")
                .register(registry);
        this.errors = Counter.builder("yunjing.dns.errors")
                .description("unexpected exceptions while handling a packet (answered SERVFAIL or dropped)")
                .register(registry);
        this.slipped = Counter.builder("yunjing.dns.slipped")
                .description("rate-limited UDP responses sent truncated (TC) instead of dropped")
                .register(registry);
    }

    /**
     * Count and total of answer latencies, exposed as a {@link FunctionTimer}: two uncontended adds per
     * query. A Micrometer {@code Timer} also keeps a decaying maximum (a compare-and-set loop and a clock
     * read per record), which took about a fifth of the Java time per query under dnsperf.
     */
    private record Latency(LongAdder count, LongAdder nanos) {
        Latency() {
            this(new LongAdder(), new LongAdder());
        }

        void record(long elapsedNanos) {
            count.increment();
            nanos.add(elapsedNanos);
        }
    }

    /**
     * One {@link Latency} per registry and transport, whatever number of listeners report to it: a
     * function meter stays bound to the object it was first registered with, so listeners bound again
     * (a reload that moves the address) must add to that same object.
     */
    private static final Map<MeterRegistry, Map<Transport, Latency>> LATENCIES =
            Collections.synchronizedMap(new WeakHashMap<>());

    private record NamedCounter(Name name, Counter counter) {
    }

    private static Latency latency(MeterRegistry registry, Transport transport) {
        return LATENCIES.computeIfAbsent(registry, r -> new ConcurrentHashMap<>())
                .computeIfAbsent(transport, t -> registerLatency(registry, t));
    }

    private static Latency registerLatency(MeterRegistry registry, Transport transport) {
        Latency latency = new Latency();
        FunctionTimer.builder("yunjing.dns.answer.latency", latency, l -> l.count().sum(), l -> l.nanos().sum(),
                        TimeUnit.NANOSECONDS)
                .description("time from receiving a query to its encoded answer (count and sum)")
                .tag("transport", transport.tag)
                .register(registry);
        return latency;
    }

    void answered(Transport transport, int rcode, int qtype, long startNanos) {
        queryCounter(transport, rcode, qtype).increment();
        (transport == Transport.UDP ? udpLatency : tcpLatency).record(System.nanoTime() - startNanos);
    }

    private Counter queryCounter(Transport transport, int rcode, int qtype) {
        if (rcode < 0 || rcode >= FAST_RCODES) {
            return registeredQueryCounter(transport, rcode, qtype);
        }
        int typeSlot = qtype == NO_QTYPE ? TYPE_SLOTS - 1 : java.util.Arrays.binarySearch(SLOT_TYPES, qtype);
        if (typeSlot < 0) {
            typeSlot = TYPE_SLOTS - 2;
        }
        int index = (transport.ordinal() * FAST_RCODES + rcode) * TYPE_SLOTS + typeSlot;
        Counter c = queryCounters[index];
        if (c == null) {
            c = registeredQueryCounter(transport, rcode, qtype);
            queryCounters[index] = c;
        }
        return c;
    }

    private Counter registeredQueryCounter(Transport transport, int rcode, int qtype) {
        int typeKey = qtype == NO_QTYPE ? NONE_KEY : NAMED_TYPES.contains(qtype) ? qtype : OTHER_KEY;
        long key = ((long) transport.ordinal() << 40) | ((long) (rcode & 0xFFF) << 20) | typeKey;
        return queries.computeIfAbsent(key, k -> Counter.builder("yunjing.dns.queries")
                .description("answered queries")
                .tag("rcode", Rcode.string(rcode))
                .tag("qtype", typeKey == NONE_KEY ? "none" : typeKey == OTHER_KEY ? "other" : Type.string(typeKey))
                .tag("transport", transport.tag)
                .register(registry));
    }

    /**
     * Counts one answered question by name: its name when it exists in the zone (a bounded set,
     * at most {@value #MAX_NAMES}; past that {@code (other)}), else {@code (nxdomain)},
     * {@code (refused)} or {@code (other)} by rcode, so random names cannot grow the registry.
     */
    void named(Name name, int rcode) {
        NamedCounter last = lastNamed;
        if (last != null && last.name() == name) { // the zone's own Name instance, as the answers pass it
            last.counter().increment();
            return;
        }
        Counter c = name == null ? null : names.get(name); // a name counted before
        if (c != null) {
            lastNamed = new NamedCounter(name, c);
            c.increment();
            return;
        }
        if (name != null && names.size() < MAX_NAMES) {
            c = names.computeIfAbsent(name, n -> nameCounter(n.canonicalize().toString()));
        } else {
            String tag = name != null ? "(other)" : rcode == Rcode.NXDOMAIN ? "(nxdomain)"
                    : rcode == Rcode.REFUSED ? "(refused)" : "(other)";
            c = otherNames.computeIfAbsent(tag, this::nameCounter);
        }
        c.increment();
    }

    private Counter nameCounter(String tag) {
        return Counter.builder("yunjing.dns.names")
                .description("answered questions by name (names of the zone; others by outcome)")
                .tag("name", tag)
                .register(registry);
    }

    void truncated() {
        truncated.increment();
    }

    /** {@code rule} comes from a policy's fixed set of rule names, so the tag stays bounded. */
    void steered(String rule) {
        Counter known = steered.get(rule);
        if (known != null) {
            known.increment();
            return;
        }
        steered.computeIfAbsent(rule, r -> Counter.builder("yunjing.dns.steered")
                .description("answers of steered names, by the steering rule that chose them")
                .tag("rule", r)
                .register(registry)).increment();
    }

    void failOpen() {
        failOpen.increment();
    }

    void slipped() {
        slipped.increment();
    }

    void error() {
        errors.increment();
    }

    void dropped(String reason) {
        dropped.computeIfAbsent(reason, r -> Counter.builder("yunjing.dns.dropped")
                .description("packets that got no answer")
                .tag("reason", r)
                .register(registry)).increment();
    }
}
