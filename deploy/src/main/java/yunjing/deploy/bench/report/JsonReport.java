package yunjing.deploy.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The report as JSON: every group, goal and link, for tooling and for diffing runs. */
public final class JsonReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    public static void write(E2eReport r, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("mode", r.mode());
        root.set("plan", JSON.valueToTree(r.plan()));
        root.put("wallSeconds", r.wallSeconds());
        var groups = root.putArray("groups");
        for (GroupStats g : r.groups()) {
            ObjectNode n = JSON.valueToTree(g);
            n.put("successRate", g.successRate());
            groups.add(n);
        }
        var goals = root.putArray("goals");
        for (Goal g : r.goals()) {
            ObjectNode n = JSON.valueToTree(g);
            n.put("met", g.met());
            goals.add(n);
        }
        ObjectNode egress = root.putObject("originEgressBytes");
        egress.put("direct", r.originEgressDirect());
        egress.put("mirror", r.originEgressMirror());
        ObjectNode links = root.putObject("links");
        for (Map.Entry<String, E2eReport.LinkRecord> e : r.links().entrySet()) {
            E2eReport.LinkRecord l = e.getValue();
            ObjectNode n = links.putObject(e.getKey());
            n.put("profile", l.profile().name());
            n.put("rttMillis", l.profile().rttMillis());
            n.put("jitterMillis", l.profile().jitter().toMillis());
            n.put("bitsPerSecond", l.profile().bitsPerSecond());
            n.put("faultRate", l.profile().faults().rate());
            n.put("connections", l.connections());
            n.put("turns", l.turns());
            n.put("bytesUp", l.bytesUp());
            n.put("bytesDown", l.bytesDown());
            n.set("faults", JSON.valueToTree(l.faults()));
        }
        root.set("placements", JSON.valueToTree(r.placements()));
        root.set("failures", JSON.valueToTree(r.failureReasons()));
        JSON.writeValue(file.toFile(), root);
    }
}
