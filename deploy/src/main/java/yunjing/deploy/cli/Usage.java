package yunjing.deploy.cli;

import yunjing.deploy.run.Endpoints;
import yunjing.deploy.run.MirrorNetwork;
import yunjing.deploy.run.RunningRole;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Topology;

import java.io.PrintWriter;

/** What {@code yunjing up} prints once the network is ready: the node table and copy-paste examples. */
final class Usage {
    private final Topology topology;
    private final StateDir state;
    private final MirrorNetwork network;

    Usage(Topology topology, StateDir state, MirrorNetwork network) {
        this.topology = topology;
        this.state = state;
        this.network = network;
    }

    void print(PrintWriter out, double seconds) {
        out.printf("yunjing: %d nodes and DNS ready in %.1f s (transport %s). Ctrl-C stops everything.%n%n",
                topology.nodes().size(), seconds, network.transport());
        Table table = new Table("NODE", "TIER", "ADDRESS", "HTTP", "HTTPS", "ADMIN", "STATE");
        for (RunningRole role : network.roles()) {
            var readiness = role.readiness();
            table.row(role.id(), role.kind(), role.http().getAddress().getHostAddress(),
                    String.valueOf(role.http().getPort()) + (role.kind().equals("dns") ? "/udp+tcp" : ""),
                    role.https() == null ? "-" : String.valueOf(role.https().getPort()),
                    String.valueOf(role.adminAddress().getPort()),
                    (readiness.ready() ? "ready" : "NOT READY") + " (" + readiness.detail() + ")");
        }
        table.print(out);

        Node edge = topology.edges().get(Math.min(1, topology.edges().size() - 1));
        RunningRole edgeRole = network.role(edge.id()).orElseThrow();
        RunningRole dns = network.role("dns").orElseThrow();
        String http = Endpoints.hostPort(edgeRole.http());
        String api = topology.services().get("api");
        String ca = state.tls().resolve("ca.pem").toString();
        out.printf("%nLocal CA (trust it for HTTPS): %s%n", ca);
        out.printf("Demo API keys: sk-yunjing-local-free (plan free), sk-yunjing-local-pro (plan pro)%n%n");
        out.printf("Ask the DNS which edge serves you:%n  dig @%s -p %d %s A +short%n%n",
                dns.http().getAddress().getHostAddress(), dns.http().getPort(), api);
        out.printf("Stream a chat completion through %s (edge → regional → central → origin):%n", edge.id());
        out.printf("  curl -N http://%s/v1/chat/completions -H 'Authorization: Bearer sk-yunjing-local-free' \\%n"
                + "    -H 'Content-Type: application/json' \\%n"
                + "    -d '{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"max_tokens\":16}'%n%n", http);
        if (edgeRole.https() != null) {
            out.printf("The same over HTTPS (h2 by ALPN) with the service name:%n");
            out.printf("  curl -N --cacert %s --resolve %s:%d:%s https://%s:%d/v1/chat/completions \\%n"
                            + "    -H 'Authorization: Bearer sk-yunjing-local-free' -H 'Content-Type: application/json' \\%n"
                            + "    -d '{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"max_tokens\":16}'%n%n",
                    ca, api, edgeRole.https().getPort(), edgeRole.https().getAddress().getHostAddress(), api,
                    edgeRole.https().getPort());
        }
        out.printf("OpenAI SDK (Python): only the base URL changes:%n"
                + "  from openai import OpenAI%n"
                + "  client = OpenAI(base_url=\"http://%s/v1\", api_key=\"sk-yunjing-local-free\")%n"
                + "  for chunk in client.chat.completions.create(model=\"tiny-llama\", stream=True, max_tokens=16,%n"
                + "          messages=[{\"role\": \"user\", \"content\": \"hi\"}]):%n"
                + "      print(chunk.choices[0].delta.content or \"\", end=\"\")%n%n", http);
        out.printf("Node state at any time: deploy/bin/yunjing status%s%n",
                topology.source().equals("local.yaml") ? "" : " --topology " + topology.source());
    }

}
