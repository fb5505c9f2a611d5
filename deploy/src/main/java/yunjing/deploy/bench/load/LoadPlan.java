package yunjing.deploy.bench.load;

/**
 * How much load each path gets; the same plan runs on the direct path and through the mirror.
 * Half the clients of each workload are naive (a connection per request), half keep-alive.
 *
 * @param metadataClients  clients asking for model metadata, each {@code metadataRequests} times in a row
 * @param agents           Open-AutoGLM agents, each running {@code agentSteps} steps
 * @param maxTokens        tokens per completion: small, because the Java reference engine is slow on 2 cores
 */
public record LoadPlan(int metadataClients, int metadataRequests, int agents, int agentSteps, int maxTokens,
                       long seed) {

    public LoadPlan {
        if (metadataClients < 0 || metadataRequests < 1 || agents < 0 || agentSteps < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("load plan: every count must be positive, got " + this);
        }
    }

    /** Under three minutes on a 2-core machine, start-up included. */
    public static LoadPlan quick() {
        return new LoadPlan(8, 60, 2, 4, 8, 42);
    }

    /** The documented full run. */
    public static LoadPlan full() {
        return new LoadPlan(16, 250, 4, 8, 16, 42);
    }
}
