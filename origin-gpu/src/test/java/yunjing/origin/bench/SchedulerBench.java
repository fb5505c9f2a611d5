package yunjing.origin.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.GenerationResult;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.engine.TokenListener;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.sched.RejectedException;
import yunjing.origin.sched.Scheduler;
import yunjing.origin.sched.SchedulerConfig;
import yunjing.origin.sched.SequenceListener;
import yunjing.origin.tokenizer.ChatMessage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Decode throughput of the continuous-batching {@link Scheduler} against its named peer, the design it replaced:
 * one thread per request running the one-sequence {@link Generator} on a pool of {@code nproc} threads. Both run
 * the Java reference engine on the generated test model, the same requests (greedy, {@code ignore_eos}), after
 * one discarded warm-up round each, then
 * seven alternating rounds, medians reported. Not a test: run it by hand.
 *
 * <pre>
 * mvn -o -q -pl origin-gpu -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/origin-cp.txt
 * java -cp origin-gpu/target/classes:origin-gpu/target/test-classes:$(cat /tmp/origin-cp.txt) \
 *     yunjing.origin.bench.SchedulerBench
 * </pre>
 */
public final class SchedulerBench {

    private static final int MAX_TOKENS = 256;
    private static final int ROUNDS = 7;

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("sched-bench");
        TestModelGenerator.generate(dir, 2024);
        Checkpoint cp = Checkpoint.load(dir);
        Generator generator = new Generator(new JavaReferenceEngine(cp.config(), cp.weights()), cp.tokenizer(),
                cp.eosTokenIds());
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf("machine: %d cores, %s%n", threads, System.getProperty("java.vm.version"));
        System.out.println("batch | scheduler tok/s | thread-per-request tok/s | ratio");
        for (int batch : new int[] {1, 8}) {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                int[] prompt = cp.chatFormat().encode(List.of(new ChatMessage("user", "Request number " + i)));
                requests.add(new GenerationRequest(prompt, MAX_TOKENS, 0, 1, OptionalLong.empty(), List.of(), true));
            }
            scheduler(generator, requests);
            threadPerRequest(generator, requests, threads);
            // Alternate the peers and keep the medians: the machine is shared, so single runs are noisy.
            double[] scheduledRuns = new double[ROUNDS];
            double[] perThreadRuns = new double[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                scheduledRuns[round] = scheduler(generator, requests);
                perThreadRuns[round] = threadPerRequest(generator, requests, threads);
            }
            double scheduled = median(scheduledRuns);
            double perThread = median(perThreadRuns);
            System.out.printf("%5d | %15.0f | %24.0f | %.2f%n", batch, scheduled, perThread, scheduled / perThread);
        }
    }

    /** Tokens per second for all requests submitted at once to a scheduler. */
    private static double scheduler(Generator generator, List<GenerationRequest> requests) throws Exception {
        try (Scheduler scheduler = Scheduler.start("bench", generator, SchedulerConfig.DEFAULTS,
                new SimpleMeterRegistry())) {
            CountDownLatch done = new CountDownLatch(requests.size());
            long t0 = System.nanoTime();
            for (GenerationRequest r : requests) {
                submit(scheduler, r, done);
            }
            done.await();
            return requests.size() * (double) MAX_TOKENS / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static void submit(Scheduler scheduler, GenerationRequest r, CountDownLatch done)
            throws RejectedException {
        scheduler.submit(r, new SequenceListener() {
            @Override
            public void completed(GenerationResult result) {
                done.countDown();
            }

            @Override
            public void failed(Exception cause) {
                throw new IllegalStateException(cause);
            }

            @Override
            public void onToken(String text) {
            }

            @Override
            public boolean cancelled() {
                return false;
            }
        }, 1);
    }

    /** Tokens per second for the requests run one per thread on a pool of {@code threads}. */
    private static double threadPerRequest(Generator generator, List<GenerationRequest> requests, int threads)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<GenerationResult>> results = new ArrayList<>();
            for (GenerationRequest r : requests) {
                results.add(pool.submit(() -> generator.generate(r, new TokenListener() {
                    @Override
                    public void onToken(String text) {
                    }

                    @Override
                    public boolean cancelled() {
                        return false;
                    }
                })));
            }
            for (Future<GenerationResult> f : results) {
                f.get();
            }
            return requests.size() * (double) MAX_TOKENS / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }
}
