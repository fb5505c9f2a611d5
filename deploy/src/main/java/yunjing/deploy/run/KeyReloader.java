package yunjing.deploy.run;

import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyException;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.proxy.ProxyServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads API keys without a restart: every two seconds it compares the modification times of
 * the topology file and its key files, and on a change re-reads the topology and swaps the edges'
 * keys atomically. A file that no longer validates is logged and the old keys stay in force, so
 * a bad edit never locks every client out. Polling, not WatchService, because editors and config
 * management replace files by rename, which watches on the old inode miss.
 */
final class KeyReloader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KeyReloader.class.getName());

    private final Path file;
    private final List<ProxyServer> edges;
    private final ScheduledExecutorService timer;
    private List<Path> watched;
    private List<FileTime> stamps;

    private KeyReloader(Topology topology, List<ProxyServer> edges) {
        this.file = topology.file();
        this.edges = List.copyOf(edges);
        this.watched = watchedFiles(topology);
        this.stamps = stamps(watched);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "yunjing-key-reload");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, 2, 2, TimeUnit.SECONDS);
    }

    /** Null for the embedded topology (no file to watch) or when no edge runs here. */
    static KeyReloader startIfNeeded(Topology topology, List<ProxyServer> edges) {
        return topology.file() == null || edges.isEmpty() ? null : new KeyReloader(topology, edges);
    }

    /** Runs on the timer thread only. */
    private void check() {
        List<FileTime> now = stamps(watched);
        if (now.equals(stamps)) {
            return;
        }
        stamps = now;
        try {
            Topology topology = TopologyLoader.load(file);
            watched = watchedFiles(topology);
            stamps = stamps(watched);
            var access = ApiAccessMapping.of(topology);
            edges.forEach(edge -> edge.updateApiAccess(access));
            LOG.log(Level.INFO, "reloaded {0} API keys from {1}", new Object[]{topology.keys().size(), file});
        } catch (TopologyException e) {
            LOG.log(Level.WARNING, "keys not reloaded, the old ones stay in force: {0}", e.getMessage());
        }
    }

    private static List<Path> watchedFiles(Topology topology) {
        List<Path> files = new ArrayList<>();
        files.add(topology.file());
        files.addAll(topology.keyFiles());
        return files;
    }

    private static List<FileTime> stamps(List<Path> files) {
        List<FileTime> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(Files.getLastModifiedTime(f));
            } catch (IOException e) {
                out.add(FileTime.fromMillis(-1));  // missing now: a change, reported when it is read
            }
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
