package yunjing.deploy.topology;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole mirror network as declared in one topology file: zone, DNS, service names, nodes by
 * tier, API plans and keys. Immutable and already validated (see {@link TopologyLoader}).
 *
 * @param source   where it was read from, for messages ("local.yaml" for the embedded default)
 * @param file     the file it was read from, or null for the embedded default
 * @param keyFiles the key files it names, resolved; watched with {@code file} for key reloads
 * @param sync     replicas, canaries and the manifest key ({@link SyncSettings#NONE} when absent)
 */
public record Topology(String source, String zone, DnsSettings dns, Map<String, String> services,
                       List<Node> nodes, Map<String, Plan> plans, List<ApiKey> keys, Path baseDir,
                       Path file, List<Path> keyFiles, SyncSettings sync) {

    public Topology {
        services = Map.copyOf(services);
        nodes = List.copyOf(nodes);
        plans = Map.copyOf(plans);
        keys = List.copyOf(keys);
        keyFiles = List.copyOf(keyFiles);
    }

    Topology withFile(Path file) {
        return new Topology(source, zone, dns, services, nodes, plans, keys, baseDir, file, keyFiles, sync);
    }

    public Optional<Node> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    /** Nodes in start order: origin first, edges last, so every node's parents are up before it. */
    public List<Node> nodesInStartOrder() {
        return nodes.stream().sorted(Comparator.comparingInt(n -> n.tier().rank())).toList();
    }

    /** The origin node (validation guarantees there is one; the first if several). */
    public Node origin() {
        return nodes.stream().filter(n -> n.tier() == Tier.ORIGIN).findFirst().orElseThrow();
    }

    /** Repositories the sync agents follow: the origin's models' repositories, then {@code sync.repos}. */
    public List<String> syncedRepos() {
        LinkedHashSet<String> repos = new LinkedHashSet<>();
        nodes.stream().filter(n -> n.tier() == Tier.ORIGIN).forEach(n -> n.models().forEach(m -> repos.add(m.repo())));
        repos.addAll(sync.repos());
        return List.copyOf(repos);
    }

    public List<Node> edges() {
        return nodes.stream().filter(n -> n.tier() == Tier.EDGE).toList();
    }

    /** Fully qualified service name with trailing dot, e.g. {@code api.mirror.test.}. */
    public String serviceFqdn(String service) {
        String name = services.get(service);
        return name.endsWith(".") ? name : name + ".";
    }
}
