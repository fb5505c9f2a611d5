package yunjing.origin.sched;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.GenerationResult;
import yunjing.origin.engine.Generator;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.engine.TokenListener;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.tokenizer.ChatMessage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A generated tiny model, a scheduler core over it driven step by step, and the solo runs it is held to.
 * A test class registers one as {@code @RegisterExtension static final SchedulerFixture f = new SchedulerFixture();}:
 * the model is generated into a temporary directory before the class's tests and removed after them.
 */
final class SchedulerFixture implements BeforeAllCallback, AfterAllCallback {

    static final String MODEL = "m";

    Checkpoint model;
    CountingEngine engine;
    /** The meters of the latest {@link #core}. */
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** The scheduler's clock (queue order, deadlines); tests move it by hand. */
    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private Path dir;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("scheduler-model");
        TestModelGenerator.generate(dir, 11);
        model = Checkpoint.load(dir);
        engine = new CountingEngine(new JavaReferenceEngine(model.config(), model.weights()));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    Generator generator() {
        return new Generator(engine, model.tokenizer(), model.eosTokenIds());
    }

    BatchScheduler core(SchedulerConfig config) {
        registry = new SimpleMeterRegistry();
        engine.stepSizes.clear();
        return new BatchScheduler(generator(), config, clock::get, new SchedulerMetrics(registry, MODEL));
    }

    static SchedulerConfig config(int maxBatch, int chunk, int blockSize, int blocks, int prefixBlocks) {
        return new SchedulerConfig(maxBatch, chunk, blockSize, blocks, prefixBlocks, 64, Duration.ofHours(1),
                Duration.ofHours(1), 1.0);
    }

    int[] prompt(String user) {
        return model.chatFormat().encode(List.of(new ChatMessage("user", user)));
    }

    int[] prompt(List<ChatMessage> messages) {
        return model.chatFormat().encode(messages);
    }

    static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return new GenerationRequest(prompt, maxTokens, 0, 1.0, OptionalLong.empty(), List.of(), true);
    }

    static GenerationRequest seeded(int[] prompt, int maxTokens, long seed) {
        return new GenerationRequest(prompt, maxTokens, 0.9, 0.95, OptionalLong.of(seed), List.of(), true);
    }

    /** What {@code request} gives when it runs alone through the one-sequence {@link Generator}. */
    Solo solo(GenerationRequest request) {
        StringBuilder text = new StringBuilder();
        GenerationResult result = new Generator(new JavaReferenceEngine(model.config(), model.weights()),
                model.tokenizer(), model.eosTokenIds()).generate(request, new TokenListener() {
                    @Override
                    public void onToken(String delta) {
                        text.append(delta);
                    }

                    @Override
                    public boolean cancelled() {
                        return false;
                    }
                });
        return new Solo(text.toString(), result);
    }

    record Solo(String text, GenerationResult result) {}

    /** Steps until every recorder has heard its end; fails after {@code maxSteps}. */
    static void runUntilDone(BatchScheduler core, int maxSteps, Recorder... recorders) {
        for (int i = 0; i < maxSteps; i++) {
            boolean all = true;
            for (Recorder r : recorders) {
                all &= r.done();
            }
            if (all) {
                return;
            }
            core.step();
        }
        throw new AssertionError("not done after " + maxSteps + " steps");
    }

    double counter(String name) {
        Counter c = registry.find(SchedulerMetrics.PREFIX + name).counter();
        return c == null ? 0 : c.count();
    }

    /** The count of counter {@code name} with {@code tag=value}; 0 when never incremented. */
    double counter(String name, String tag, String value) {
        Counter c = registry.find(SchedulerMetrics.PREFIX + name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    double gauge(String name) {
        Gauge g = registry.find(SchedulerMetrics.PREFIX + name).gauge();
        return g == null ? Double.NaN : g.value();
    }
}
