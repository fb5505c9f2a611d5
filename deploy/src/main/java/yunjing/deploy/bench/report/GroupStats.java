package yunjing.deploy.bench.report;

import yunjing.deploy.bench.load.Sample;

import java.util.List;

/**
 * One workload on one path for one kind of client ({@code all}, {@code naive}, {@code keep-alive}).
 * Latencies are over the successful requests; failures show in {@link #successRate()}.
 *
 * @param throughput successful requests per second over the group's span (first start to last end)
 */
public record GroupStats(String workload, String path, String clients, int requests, int succeeded,
                         Distribution total, Distribution firstByte, Distribution firstToken, double throughput,
                         long bytes) {

    static GroupStats of(String workload, String path, String clients, List<Sample> samples) {
        List<Sample> ok = samples.stream().filter(Sample::ok).toList();
        long first = samples.stream().mapToLong(Sample::startNanos).min().orElse(0);
        long last = samples.stream().mapToLong(s -> s.startNanos() + s.totalNanos()).max().orElse(0);
        double seconds = Math.max(1e-9, (last - first) / 1e9);
        return new GroupStats(workload, path, clients, samples.size(), ok.size(),
                Distribution.ofNanos(ok.stream().mapToLong(Sample::totalNanos).toArray()),
                Distribution.ofNanos(ok.stream().mapToLong(Sample::ttfbNanos).toArray()),
                Distribution.ofNanos(ok.stream().mapToLong(Sample::ttftNanos).toArray()),
                ok.size() / seconds, ok.stream().mapToLong(Sample::bytes).sum());
    }

    public double successRate() {
        return requests == 0 ? Double.NaN : (double) succeeded / requests;
    }
}
