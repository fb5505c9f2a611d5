package yunjing.deploy.run;

import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each node can be reached. With the topology's ports it is computed from the file (a
 * node on another machine); in ephemeral mode it is what the already-started roles bound.
 */
public final class Endpoints {
    private final Topology topology;
    private final PortMode mode;
    private final Map<String, RunningRole> started = new ConcurrentHashMap<>();

    Endpoints(Topology topology, PortMode mode) {
        this.topology = topology;
        this.mode = mode;
    }

    void started(RunningRole role) {
        started.put(role.id(), role);
    }

    InetSocketAddress http(String nodeId) throws LaunchException {
        RunningRole role = started.get(nodeId);
        if (role != null) {
            return role.http();
        }
        return new InetSocketAddress(node(nodeId).address(), node(nodeId).ports().http());
    }

    URI readyz(String nodeId) throws LaunchException {
        return admin(nodeId, "/readyz");
    }

    /** {@code http://host:adminPort<path>} of a node. */
    URI admin(String nodeId, String path) throws LaunchException {
        RunningRole role = started.get(nodeId);
        InetSocketAddress admin = role != null ? role.adminAddress()
                : new InetSocketAddress(node(nodeId).address(), node(nodeId).ports().admin());
        return URI.create("http://" + hostPort(admin) + path);
    }

    /** The address to bind for one listener of a node. */
    InetSocketAddress bind(Node node, int topologyPort) {
        return new InetSocketAddress(node.address(), mode == PortMode.EPHEMERAL ? 0 : topologyPort);
    }

    InetSocketAddress bind(InetSocketAddress topologyAddress) {
        return mode == PortMode.EPHEMERAL ? new InetSocketAddress(topologyAddress.getAddress(), 0) : topologyAddress;
    }

    private Node node(String id) throws LaunchException {
        Node node = topology.node(id).orElse(null);
        if (node == null) {
            throw new LaunchException("node '" + id + "' is not in " + topology.source());
        }
        if (mode == PortMode.EPHEMERAL) {
            throw new LaunchException("node '" + id + "' must start before the nodes that use it (ephemeral ports)");
        }
        return node;
    }

    /** {@code host:port}, with IPv6 hosts in brackets. */
    public static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
