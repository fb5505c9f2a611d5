package yunjing.deploy.run;

import yunjing.dns.DnsConfig;
import yunjing.dns.DnsServer;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads the DNS without a restart: every two seconds it compares the modification times and sizes
 * of the files the DNS configuration comes from (topology, GeoIP City and ASN data, operator lines),
 * and on a change builds the configuration again and hands it to {@link DnsServer#reload}, which
 * swaps the query-time state atomically. {@code POST /reload} on the DNS admin port does the same at
 * once. A file that no longer loads is logged and the old state keeps serving. Polling: see
 * {@link FileStamps}.
 */
final class DnsReloader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DnsReloader.class.getName());

    /** Where the DNS configuration comes from. */
    interface Source {
        /** Reads the files again and builds the configuration. */
        DnsConfig load() throws Exception;

        /** The files {@link #load} reads (missing ones are watched for appearing). */
        List<Path> files(DnsConfig config);
    }

    private final DnsServer dns;
    private final Source source;
    private final PollingTimer timer;
    private List<Path> watched;   // guarded by this
    private List<String> stamps;  // guarded by this

    DnsReloader(DnsServer dns, Source source, DnsConfig running, long pollMillis) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.source = Objects.requireNonNull(source, "source");
        this.watched = source.files(running);
        this.stamps = FileStamps.of(watched);
        this.timer = new PollingTimer("yunjing-dns-reload", pollMillis, this::check);
    }

    private synchronized void check() {
        if (!FileStamps.of(watched).equals(stamps)) {
            try {
                reloadNow();
            } catch (IllegalStateException e) {
                // logged by reloadNow; the stamps moved on, so the next edit triggers the next try
            }
        }
    }

    /**
     * Reloads now.
     *
     * @return a one-line JSON summary
     * @throws IllegalStateException the new files do not load; the message says why, the old state serves
     */
    synchronized String reloadNow() {
        List<String> before = FileStamps.of(watched);
        try {
            DnsConfig config = source.load();
            dns.reload(config);
            watched = source.files(config);
            stamps = FileStamps.of(watched);
            LOG.log(Level.INFO, "dns reloaded from {0}", watched);
            return "{\"reloaded\":true,\"targets\":" + config.targets().size() + "}\n";
        } catch (Exception e) {
            stamps = before;
            LOG.log(Level.WARNING, "dns not reloaded, the old state keeps serving: {0}", e.getMessage());
            throw new IllegalStateException("dns not reloaded, the old state keeps serving: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        timer.close();
    }

    @Override
    public String toString() {
        return "dns reloader";
    }
}
