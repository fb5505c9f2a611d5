package yunjing.deploy.topology;

import java.net.InetAddress;
import java.util.List;

/**
 * One node of the topology.
 *
 * @param carrier  null except on edges
 * @param parents  ids of the next tier up, in order of preference
 * @param weight   capacity weight used when DNS spreads clients over equal candidates
 * @param models   models served; only origin nodes have any
 * @param line     line of the node in its topology file, for error messages
 */
public record Node(String id, Tier tier, InetAddress address, Ports ports, String province, Carrier carrier,
                   List<String> parents, int weight, List<ModelRef> models, int line) {

    public Node {
        parents = List.copyOf(parents);
        models = List.copyOf(models);
    }
}
