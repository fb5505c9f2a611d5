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
 * @param accessLog the proxy's JSON access log: null for the default ({@code <state>/logs/<id>.access.jsonl}),
 *                 {@link #ACCESS_LOG_OFF} for none, else a path (relative: to the state directory)
 */
public record Node(String id, Tier tier, InetAddress address, Ports ports, String province, Carrier carrier,
                   List<String> parents, int weight, List<ModelRef> models, int line, String accessLog) {

    /** The topology's {@code access_log: off}. */
    public static final String ACCESS_LOG_OFF = "off";

    public Node {
        parents = List.copyOf(parents);
        models = List.copyOf(models);
    }

    /** A node with the default access log. */
    public Node(String id, Tier tier, InetAddress address, Ports ports, String province, Carrier carrier,
                List<String> parents, int weight, List<ModelRef> models, int line) {
        this(id, tier, address, ports, province, carrier, parents, weight, models, line, null);
    }
}
