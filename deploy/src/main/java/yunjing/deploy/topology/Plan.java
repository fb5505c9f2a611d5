package yunjing.deploy.topology;

/** An API plan: the limits every key on it gets. */
public record Plan(String name, int concurrent, int requestsPerMinute, int requestsPerDay, int tokensPerMinute) {
}
