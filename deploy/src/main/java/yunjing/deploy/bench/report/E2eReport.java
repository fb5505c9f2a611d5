package yunjing.deploy.bench.report;

import yunjing.deploy.bench.load.LoadPlan;
import yunjing.deploy.bench.load.LoadResult;
import yunjing.deploy.bench.load.Sample;
import yunjing.deploy.bench.wan.FaultKind;
import yunjing.deploy.bench.wan.LinkProfile;
import yunjing.deploy.bench.wan.WanRelay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one run measured, reduced to what the report shows: per-group statistics, the goals with
 * their verdicts, the origin's egress per path and the faults each link injected.
 */
public record E2eReport(String mode, LoadPlan plan, List<GroupStats> groups, List<Goal> goals,
                        Map<String, LinkRecord> links, long originEgressDirect, long originEgressMirror,
                        double wallSeconds, List<String> placements, Map<String, Long> failureReasons) {

    /** One emulated link: its profile and what crossed it. */
    public record LinkRecord(LinkProfile profile, long connections, long turns, long bytesUp, long bytesDown,
                             Map<FaultKind, Long> faults) {
    }

    public static final List<String> WORKLOADS = List.of("metadata", "artifact", "agent-step");
    public static final List<String> CLIENTS = List.of("all", "naive", "keep-alive");

    public static E2eReport of(String mode, LoadPlan plan, LoadResult result, Map<String, WanRelay> relays) {
        List<GroupStats> groups = new ArrayList<>();
        for (String workload : WORKLOADS) {
            for (String clients : CLIENTS) {
                for (String path : List.of("direct", "mirror")) {
                    List<Sample> s = result.samples().stream()
                            .filter(x -> x.workload().equals(workload) && x.path().equals(path)
                                    && (clients.equals("all") || x.clients().equals(clients)))
                            .toList();
                    if (!s.isEmpty()) {
                        groups.add(GroupStats.of(workload, path, clients, s));
                    }
                }
            }
        }
        Map<String, LinkRecord> links = new LinkedHashMap<>();
        long direct = 0;
        long mirror = 0;
        for (var e : relays.entrySet()) {
            WanRelay r = e.getValue();
            links.put(e.getKey(), new LinkRecord(r.profile(), r.stats().connections(), r.stats().turns(),
                    r.stats().bytesUp(), r.stats().bytesDown(), r.stats().faults()));
            // The origin's own (plain HTTP) egress: behind the TLS front for direct clients, so TLS
            // overhead on the direct link is not counted against the direct path.
            if (e.getKey().equals("origin-tls-front")) {
                direct += r.stats().bytesDown();
            } else if (e.getKey().endsWith(">origin")) {
                mirror += r.stats().bytesDown();
            }
        }
        Map<String, Long> reasons = new LinkedHashMap<>();
        for (Sample s : result.samples()) {
            if (!s.ok()) {
                reasons.merge(s.path() + " " + s.workload() + ": " + shorten(s.error()), 1L, Long::sum);
            }
        }
        E2eReport draft = new E2eReport(mode, plan, groups, List.of(), links, direct, mirror, result.wallNanos() / 1e9,
                result.placements(), reasons);
        return draft.withGoals(goals(draft, result));
    }

    private E2eReport withGoals(List<Goal> goals) {
        return new E2eReport(mode, plan, groups, goals, links, originEgressDirect, originEgressMirror, wallSeconds,
                placements, failureReasons);
    }

    public GroupStats group(String workload, String path, String clients) {
        return groups.stream().filter(g -> g.workload().equals(workload) && g.path().equals(path)
                && g.clients().equals(clients)).findFirst().orElse(null);
    }

    /** 1 − mirror / direct of a metric: 0.9 means the mirror took 10 % of the direct time. */
    static double reduction(double direct, double mirror) {
        return 1 - mirror / direct;
    }

    private static List<Goal> goals(E2eReport r, LoadResult result) {
        List<Goal> goals = new ArrayList<>();
        GroupStats dm = r.group("metadata", "direct", "all");
        GroupStats mm = r.group("metadata", "mirror", "all");
        if (dm != null && mm != null) {
            goals.add(new Goal("metadata: mean latency reduction", 0.85, reduction(dm.total().mean(), mm.total().mean()),
                    "cached at the tiers after the first miss per edge (Cache-Control: public, max-age=60)"));
        }
        GroupStats dr = r.group("artifact", "direct", "all");
        GroupStats mr = r.group("artifact", "mirror", "all");
        if (dr != null && mr != null) {
            goals.add(new Goal("cached artifacts: mean latency reduction", 0.85,
                    reduction(dr.total().mean(), mr.total().mean()),
                    "every request of a hub download (model info, HEAD, " + r.plan().artifactPieceBytes() / 1024
                            + " KiB Range pieces) counts; an unrecorded "
                            + "warm-up download per edge filled the tiers first (files by commit id are immutable; "
                            + "the model info is cached for 60 s)"));
        }
        GroupStats da = r.group("agent-step", "direct", "all");
        GroupStats ma = r.group("agent-step", "mirror", "all");
        if (da != null && ma != null) {
            goals.add(new Goal("agent step: mean time-to-first-token reduction", 0.80,
                    reduction(da.firstToken().mean(), ma.firstToken().mean()),
                    "completions are not cacheable: every step still carries its ~500 KB body over the "
                            + "20 Mbit/s border link (~200 ms alone), plus the 180 ms RTT and the prefill; only "
                            + "inference inside the country would remove them"));
        }
        long mirrorAll = result.samples().stream().filter(s -> s.path().equals("mirror")).count();
        long mirrorOk = result.samples().stream().filter(s -> s.path().equals("mirror") && s.ok()).count();
        long directAll = result.samples().stream().filter(s -> s.path().equals("direct")).count();
        long directOk = result.samples().stream().filter(s -> s.path().equals("direct") && s.ok()).count();
        goals.add(new Goal("success through the mirror", 0.999, mirrorAll == 0 ? Double.NaN : (double) mirrorOk / mirrorAll,
                String.format("direct path in the same run: %d of %d (%.2f %%)", directOk, directAll,
                        100.0 * directOk / Math.max(1, directAll))));
        return goals;
    }

    private static String shorten(String error) {
        String e = Objects.toString(error, "?");
        return e.length() > 90 ? e.substring(0, 90) + "…" : e;
    }
}
