package yunjing.deploy.topology;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Rules that span nodes: unique ids and listeners, parents that exist and sit a tier up. */
final class TopologyValidator {
    private TopologyValidator() {
    }

    static void validate(String file, Topology t) throws TopologyException {
        Map<String, Node> byId = new HashMap<>();
        Map<InetSocketAddress, String> listeners = new HashMap<>();
        listeners.put(t.dns().listen(), "dns listen");
        claim(file, listeners, t.dns().admin(), "dns admin", 0);
        for (Node n : t.nodes()) {
            if (n.id().equals("dns")) {
                throw error(file, n, "node id 'dns' is reserved for the DNS service (yunjing node --id dns)");
            }
            if (byId.putIfAbsent(n.id(), n) != null) {
                throw error(file, n, "node id '" + n.id() + "' is declared twice");
            }
            for (Map.Entry<String, Integer> port : Map.of("http", n.ports().http(), "https", n.ports().https(),
                    "admin", n.ports().admin()).entrySet()) {
                if (port.getValue() != 0) {
                    claim(file, listeners, new InetSocketAddress(n.address(), port.getValue()),
                            "node '" + n.id() + "' " + port.getKey(), n.line());
                }
            }
        }
        boolean hasOrigin = false;
        for (Node n : t.nodes()) {
            String where = "node '" + n.id() + "': ";
            hasOrigin |= n.tier() == Tier.ORIGIN;
            if (n.tier() == Tier.ORIGIN && !n.parents().isEmpty()) {
                throw error(file, n, where + "an origin has no parents");
            }
            if (n.tier() != Tier.ORIGIN && n.parents().isEmpty()) {
                throw error(file, n, where + "a " + n.tier().label() + " node needs at least one parent");
            }
            if (n.tier() == Tier.EDGE && n.carrier() == null) {
                throw error(file, n, where + "an edge needs a carrier (telecom, unicom, mobile or edu)");
            }
            if (n.tier() != Tier.ORIGIN && !n.models().isEmpty()) {
                throw error(file, n, where + "only origin nodes serve models");
            }
            Set<String> seen = new HashSet<>();
            for (String parentId : n.parents()) {
                Node parent = byId.get(parentId);
                if (parent == null) {
                    throw error(file, n, where + "parent '" + parentId + "' does not exist");
                }
                if (!seen.add(parentId)) {
                    throw error(file, n, where + "parent '" + parentId + "' is listed twice");
                }
                // Tier order rules out cycles: every hop moves strictly towards the origin.
                if (parent.tier().rank() >= n.tier().rank()) {
                    throw error(file, n, where + "parent '" + parentId + "' is a " + parent.tier().label()
                            + " node; parents must sit in a tier closer to the origin than " + n.tier().label());
                }
            }
            Set<String> modelNames = new HashSet<>();
            for (ModelRef m : n.models()) {
                if (!modelNames.add(m.name())) {
                    throw error(file, n, where + "model '" + m.name() + "' is declared twice");
                }
            }
        }
        if (!hasOrigin) {
            throw new TopologyException(file + ":1: the topology needs an origin node");
        }
        if (t.edges().isEmpty()) {
            throw new TopologyException(file + ":1: the topology needs at least one edge node for DNS to answer with");
        }
        validateSync(file, t.sync(), byId);
        Set<String> keyIds = new HashSet<>();
        for (ApiKey k : t.keys()) {
            if (!keyIds.add(k.id())) {
                throw new TopologyException(file + ": key id '" + k.id() + "' is declared twice");
            }
        }
    }

    /** Replicas are central or regional nodes (they have a parent to follow and are not edges); canaries are replicas. */
    private static void validateSync(String file, SyncSettings sync, Map<String, Node> byId) throws TopologyException {
        String at = file + ":" + Math.max(sync.line(), 1) + ": sync: ";
        Set<String> replicas = new HashSet<>();
        for (String id : sync.replicas()) {
            Node n = byId.get(id);
            if (n == null) {
                throw new TopologyException(at + "replica '" + id + "' is not a node");
            }
            if (n.tier() == Tier.ORIGIN || n.tier() == Tier.EDGE) {
                throw new TopologyException(at + "replica '" + id + "' is on the " + n.tier().label()
                        + " tier (expected: central or regional)");
            }
            if (!replicas.add(id)) {
                throw new TopologyException(at + "replica '" + id + "' is listed twice");
            }
        }
        for (String id : sync.canaries()) {
            if (!replicas.contains(id)) {
                throw new TopologyException(at + "canary '" + id + "' is not one of the replicas " + sync.replicas());
            }
        }
        for (String id : sync.pins().keySet()) {
            if (!replicas.contains(id)) {
                throw new TopologyException(at + "pins: '" + id + "' is not one of the replicas " + sync.replicas());
            }
        }
    }

    private static void claim(String file, Map<InetSocketAddress, String> listeners, InetSocketAddress address,
                              String who, int line) throws TopologyException {
        String previous = listeners.putIfAbsent(address, who);
        if (previous != null) {
            throw new TopologyException(file + ":" + Math.max(line, 1) + ": " + who + " listens on "
                    + address.getAddress().getHostAddress() + ":" + address.getPort() + ", already used by " + previous);
        }
    }

    private static TopologyException error(String file, Node node, String message) {
        return new TopologyException(file + ":" + node.line() + ": " + message);
    }
}
