package yunjing.deploy.bench.load;

import java.util.List;

/**
 * @param samples    every request of the run
 * @param wallNanos  from the first client's start to the last one's end
 * @param placements which edge the DNS gave each client population, e.g. {@code guangdong-unicom -> 127.0.0.42}
 */
public record LoadResult(List<Sample> samples, long wallNanos, List<String> placements) {
}
