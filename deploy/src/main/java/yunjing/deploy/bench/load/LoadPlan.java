package yunjing.deploy.bench.load;

/**
 * How much load each path gets; the same plan runs on the direct path and through the mirror.
 * Half the clients of each workload are naive (a connection per request), half keep-alive.
 *
 * @param metadataClients    clients asking for model metadata, each {@code metadataRequests} times in a row
 * @param agents             Open-AutoGLM agents, each running {@code agentSteps} steps
 * @param maxTokens          tokens per completion: small, because the Java reference engine is slow on 2 cores
 * @param artifactClients    hub-style downloaders, each fetching the model's files {@code artifactDownloads} times
 * @param artifactPieceBytes the size of each {@code Range} piece of a download
 */
public record LoadPlan(int metadataClients, int metadataRequests, int agents, int agentSteps, int maxTokens,
                       int artifactClients, int artifactDownloads, int artifactPieceBytes, long seed) {

    public LoadPlan {
        if (metadataClients < 0 || metadataRequests < 1 || agents < 0 || agentSteps < 1 || maxTokens < 1
                || artifactClients < 0 || artifactDownloads < 1 || artifactPieceBytes < 1) {
            throw new IllegalArgumentException("load plan: every count must be positive, got " + this);
        }
    }

    /** 256 KiB pieces: the test model's weights (~0.7 MB) then take several ranges, as a resumed large file does. */
    static final int PIECE = 256 * 1024;

    /** Under three minutes on a 2-core machine, start-up included. */
    public static LoadPlan quick() {
        return new LoadPlan(8, 60, 2, 4, 8, 4, 3, PIECE, 42);
    }

    /** The documented full run. */
    public static LoadPlan full() {
        return new LoadPlan(16, 250, 4, 8, 16, 8, 6, PIECE, 42);
    }

    /** The same plan with another fault and screenshot seed. */
    public LoadPlan withSeed(long newSeed) {
        return new LoadPlan(metadataClients, metadataRequests, agents, agentSteps, maxTokens, artifactClients,
                artifactDownloads, artifactPieceBytes, newSeed);
    }
}
