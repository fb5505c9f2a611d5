package yunjing.deploy.topology;

/**
 * An API plan: the limits every key on it gets, and the priority its requests carry to the
 * origin (higher is served first when the origin must choose).
 */
public record Plan(String name, int concurrent, int requestsPerMinute, int requestsPerDay, int tokensPerMinute,
                   int priority) {
}
