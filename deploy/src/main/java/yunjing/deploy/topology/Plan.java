package yunjing.deploy.topology;

/**
 * An API plan: the limits every key on it gets, the priority its requests carry to the
 * origin (higher is served first when the origin must choose), and whether the edges answer
 * its keys' deterministic requests from their answer cache ({@code answer_cache}).
 *
 * @param tokensPerMinute 0: unlimited
 */
public record Plan(String name, int concurrent, int requestsPerMinute, int requestsPerDay, int tokensPerMinute,
                   int priority, boolean answerCache) {
}
