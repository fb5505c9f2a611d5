package yunjing.deploy.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The report's two charts: total time, and time to first byte / first token, direct vs mirror. */
public final class Charts {
    private Charts() {
    }

    public static void write(E2eReport r, Path dir) throws IOException {
        chart(r, "Total time per request (all clients)", g -> g.total(), E2eReport.WORKLOADS)
                .writePng(dir.resolve("e2e-latency.png"));
        chart(r, "Time to first byte (metadata, artifact) / first token (agent step)",
                g -> g.workload().equals("agent-step") ? g.firstToken() : g.firstByte(), E2eReport.WORKLOADS)
                .writePng(dir.resolve("e2e-first-byte.png"));
    }

    private static BarChart chart(E2eReport r, String title, Function<GroupStats, Distribution> metric,
                                  List<String> workloads) {
        List<String> categories = new ArrayList<>();
        List<String> paths = List.of("direct", "mirror");
        List<double[]> rows = List.of(new double[workloads.size() * 4], new double[workloads.size() * 4]);
        int c = 0;
        for (String w : workloads) {
            for (String stat : List.of("mean", "P50", "P95", "P99")) {
                categories.add(w + " " + stat);
                for (int p = 0; p < paths.size(); p++) {
                    GroupStats g = r.group(w, paths.get(p), "all");
                    Distribution d = g == null ? null : metric.apply(g);
                    rows.get(p)[c] = d == null ? Double.NaN : switch (stat) {
                        case "mean" -> d.mean();
                        case "P50" -> d.p50();
                        case "P95" -> d.p95();
                        default -> d.p99();
                    };
                }
                c++;
            }
        }
        return new BarChart(title, "ms", categories, paths, rows.toArray(new double[0][]));
    }
}
