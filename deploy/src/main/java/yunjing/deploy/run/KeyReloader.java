package yunjing.deploy.run;

import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyException;
import yunjing.deploy.topology.TopologyLoader;
import yunjing.proxy.ProxyServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads API keys without a restart: every two seconds it compares the modification times of
 * the topology file and its key files, and on a change re-reads the topology and swaps the edges'
 * keys atomically. A file that no longer validates is logged and the old keys stay in force, so
 * a bad edit never locks every client out. Polling: see {@link FileStamps}.
 */
final class KeyReloader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KeyReloader.class.getName());

    private final Path file;
    private final List<ProxyServer> edges;
    private final PollingTimer timer;
    private List<Path> watched;
    private List<String> stamps;

    private KeyReloader(Topology topology, List<ProxyServer> edges) {
        this.file = topology.file();
        this.edges = List.copyOf(edges);
        this.watched = watchedFiles(topology);
        this.stamps = FileStamps.of(watched);
        this.timer = new PollingTimer("yunjing-key-reload", 2_000, this::check);
    }

    /** Null for the embedded topology (no file to watch) or when no edge runs here. */
    static KeyReloader startIfNeeded(Topology topology, List<ProxyServer> edges) {
        return topology.file() == null || edges.isEmpty() ? null : new KeyReloader(topology, edges);
    }

    /** Runs on the timer thread only. */
    private void check() {
        List<String> now = FileStamps.of(watched);
        if (now.equals(stamps)) {
            return;
        }
        stamps = now;
        try {
            Topology topology = TopologyLoader.load(file);
            watched = watchedFiles(topology);
            stamps = FileStamps.of(watched);
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

    @Override
    public void close() {
        timer.close();
    }
}
