package yunjing.deploy.run;

import yunjing.dns.DnsConfig;
import yunjing.dns.DnsServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads the DNS without a restart: every two seconds it compares the modification times and sizes
 * of the files the DNS configuration comes from (topology, GeoIP City and ASN data, operator lines),
 * and on a change builds the configuration again and hands it to {@link DnsServer#reload}, which
 * swaps the query-time state atomically. {@code POST /reload} on the DNS admin port does the same at
 * once. A file that no longer loads is logged and the old state keeps serving. Polling, not
 * WatchService, for the reason {@link KeyReloader} gives (replacement by rename).
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
    private final ScheduledExecutorService timer;
    private List<Path> watched;   // guarded by this
    private List<String> stamps;  // guarded by this

    DnsReloader(DnsServer dns, Source source, DnsConfig running, long pollMillis) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.source = Objects.requireNonNull(source, "source");
        this.watched = source.files(running);
        this.stamps = stamps(watched);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "yunjing-dns-reload");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    private synchronized void check() {
        if (!stamps(watched).equals(stamps)) {
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
        List<String> before = stamps(watched);
        try {
            DnsConfig config = source.load();
            dns.reload(config);
            watched = source.files(config);
            stamps = stamps(watched);
            LOG.log(Level.INFO, "dns reloaded from {0}", watched);
            return "{\"reloaded\":true,\"targets\":" + config.targets().size() + "}\n";
        } catch (Exception e) {
            stamps = before;
            LOG.log(Level.WARNING, "dns not reloaded, the old state keeps serving: {0}", e.getMessage());
            throw new IllegalStateException("dns not reloaded, the old state keeps serving: " + e.getMessage(), e);
        }
    }

    private static List<String> stamps(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(Files.getLastModifiedTime(f).toMillis() + "/" + Files.size(f));
            } catch (IOException e) {
                out.add("missing");
            }
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    @Override
    public String toString() {
        return "dns reloader";
    }
}
