package yunjing.sync.agent;

import org.apache.commons.net.ntp.NTPUDPClient;
import org.apache.commons.net.ntp.TimeInfo;
import yunjing.sync.sign.ManifestRejectedException;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Checks this node's clock against an NTP server the operator names (RFC 5905, through Apache
 * Commons Net's {@link NTPUDPClient}), because whether a manifest has expired is judged with the
 * local clock: a clock that is off by more than {@code maxSkew} is logged as a warning, and a
 * manifest whose expiry lies within the measured skew of local time (so that the answer could
 * be wrong either way) is refused until the clock is fixed.
 *
 * <p>An unreachable server only logs a warning: the check must not stop replication on its own.
 * A measurement is reused for {@code recheck}. Thread-safe.
 */
public final class ClockSkewGuard {

    private static final System.Logger LOG = System.getLogger(ClockSkewGuard.class.getName());

    /** The clock's offset from the server (server time = local time + offset) when measured. */
    public record Skew(Duration offset, Instant measuredAt) {
    }

    private final String host;
    private final int port;
    private final Duration maxSkew;
    private final Duration timeout;
    private final Duration recheck;
    private final Clock clock;
    private Skew last;

    /**
     * {@code server} is {@code host} or {@code host:port} (default port 123); the check measures at
     * most once per {@code recheck}.
     */
    public ClockSkewGuard(String server, Duration maxSkew, Duration timeout, Duration recheck, Clock clock) {
        int colon = server.lastIndexOf(':');
        if (colon > 0 && server.indexOf(':') == colon) {
            this.host = server.substring(0, colon);
            try {
                this.port = Integer.parseInt(server.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("ntp server: '" + server + "' (expected: HOST or HOST:PORT)");
            }
        } else {
            this.host = server;
            this.port = 123;
        }
        if (maxSkew.isNegative()) {
            throw new IllegalArgumentException("maxSkew: " + maxSkew + " (expected: >= 0)");
        }
        this.maxSkew = maxSkew;
        this.timeout = timeout;
        this.recheck = recheck;
        this.clock = clock;
    }

    /** A guard that measures at most every 10 minutes, waiting up to 2 s for an answer. */
    public ClockSkewGuard(String server, Duration maxSkew) {
        this(server, maxSkew, Duration.ofSeconds(2), Duration.ofMinutes(10), Clock.systemUTC());
    }

    public String server() {
        return host + ":" + port;
    }

    /** Asks the server now. */
    public Skew measure() throws IOException {
        NTPUDPClient client = new NTPUDPClient();
        client.setDefaultTimeout(timeout);
        try {
            client.open();
            TimeInfo info = client.getTime(InetAddress.getByName(host), port);
            info.computeDetails();
            Long offset = info.getOffset();
            if (offset == null) {
                throw new IOException("ntp " + server() + ": the answer had no usable timestamps");
            }
            return new Skew(Duration.ofMillis(offset), clock.instant());
        } finally {
            client.close();
        }
    }

    /** The last measurement, taken again when older than {@code recheck}; null when the server does not answer. */
    public synchronized Skew skew() {
        if (last == null || Duration.between(last.measuredAt(), clock.instant()).compareTo(recheck) >= 0) {
            try {
                last = measure();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, () -> "clock check against ntp " + server() + " failed: " + e.getMessage()
                        + "; manifest expiry is judged by the unchecked local clock");
                return null;
            }
            if (last.offset().abs().compareTo(maxSkew) > 0) {
                Skew s = last;
                LOG.log(System.Logger.Level.WARNING, () -> "local clock is off by " + s.offset().toMillis() + " ms against ntp "
                        + server() + " (bound " + maxSkew.toMillis() + " ms): manifest expiry may be misjudged; fix the clock");
            }
        }
        return last;
    }

    /**
     * Refuses {@code manifest} when the clock is off by more than the bound and the manifest's
     * expiry lies within that skew of local time.
     */
    public void check(Manifest manifest) throws ManifestRejectedException {
        Skew s = skew();
        if (s == null || manifest.expires() == null || s.offset().abs().compareTo(maxSkew) <= 0) {
            return;
        }
        Instant now = clock.instant();
        Duration toExpiry = Duration.between(now, manifest.expires()).abs();
        if (toExpiry.compareTo(s.offset().abs()) <= 0) {
            throw new ManifestRejectedException("manifest version " + manifest.version() + " expires " + manifest.expires()
                    + ", within the local clock's skew of " + s.offset().toMillis() + " ms against ntp " + server()
                    + " (bound " + maxSkew.toMillis() + " ms): whether it has expired cannot be judged; fix the clock");
        }
    }
}
