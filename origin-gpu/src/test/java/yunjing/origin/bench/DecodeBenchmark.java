package yunjing.origin.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.engine.jni.NativeEngine;
import yunjing.origin.engine.jni.NativeSequence;
import yunjing.origin.model.Checkpoint;
import yunjing.origin.model.TestModelGenerator;
import yunjing.origin.model.TestModelGenerator.Shape;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static yunjing.origin.engine.Sampler.argmax;

/**
 * Decode throughput of the native CPU engine at batch 1 and 8 against the memory-bandwidth roofline measured
 * in the same run, with the Java reference engine as the named peer. Run by {@code origin-gpu/bench/decode-bench.sh},
 * which writes {@code docs/benchmarks/origin-decode.{md,json}}.
 *
 * <p>Arguments: model directory, output prefix, threads, native steps, java steps.
 */
public final class DecodeBenchmark {

    /** ~360 MB of fp32 weights: large enough that a decode step streams from DRAM, not cache. */
    static final Shape SHAPE = new Shape(1024, 8, 16, 4, 2816, false, false);

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        int javaSteps = Integer.parseInt(args[4]);
        if (!Files.exists(modelDir.resolve("model.safetensors"))) {
            System.out.println("generating " + SHAPE + " into " + modelDir);
            TestModelGenerator.generate(modelDir, 1, SHAPE);
        }
        Checkpoint cp = Checkpoint.load(modelDir);
        int[] prompt = cp.tokenizer().encode("The benchmark prompt: a few words to fill the cache.");

        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("generated_at", Instant.now().toString());
        json.put("model", SHAPE.toString());
        json.put("threads", threads);
        json.put("steps", steps);
        json.put("java_steps", javaSteps);
        json.put("cores", Runtime.getRuntime().availableProcessors());

        double copyBefore = copyBandwidth(threads);
        json.put("copy_bandwidth_gb_s_before", copyBefore);
        long bytes;
        double b1;
        double b1Best;
        try (NativeEngine engine = NativeEngine.open(modelDir, cp.config(), "cpu", threads)) {
            bytes = engine.bytesPerStep();
            json.put("weight_bytes_per_step", bytes);
            measure(engine, prompt, 1, 2, true); // warm-up: pages in the mapping, spins up the pool
            b1 = measure(engine, prompt, 1, steps, true);
            json.put("native_cpu_batch1_tokens_per_cpu_s", lastPerCpuSecond);
            b1Best = lastBestRound;
            json.put("native_cpu_batch1_tokens_per_s_best_round", b1Best);
            double b8 = measure(engine, prompt, 8, steps, true);
            json.put("native_cpu_batch8_tokens_per_cpu_s", lastPerCpuSecond);
            json.put("native_cpu_batch8_tokens_per_s_best_round", lastBestRound);
            json.put("native_cpu_batch8_over_batch1_best_round", lastBestRound / b1Best);
            json.put("native_cpu_batch1_tokens_per_s", b1);
            json.put("native_cpu_batch8_tokens_per_s", b8);
            json.put("native_cpu_batch8_over_batch1", b8 / b1);
        }
        double copyAfter = copyBandwidth(threads);
        json.put("copy_bandwidth_gb_s_after", copyAfter);
        // The higher of the two measurements: other jobs only ever lower a copy loop's bandwidth, and the
        // higher roofline is the stricter yardstick.
        double copyGBs = Math.max(copyBefore, copyAfter);
        double rooflineStepsPerS = copyGBs * 1e9 / bytes;
        json.put("copy_bandwidth_gb_s", copyGBs);
        json.put("roofline_steps_per_s", rooflineStepsPerS);
        json.put("native_cpu_batch1_fraction_of_roofline", b1 / rooflineStepsPerS);
        json.put("native_cpu_batch1_best_round_fraction_of_roofline", b1Best / rooflineStepsPerS);
        JavaReferenceEngine reference = new JavaReferenceEngine(cp.config(), cp.weights());
        measure(reference, prompt, 1, 1, false);
        double j1 = measure(reference, prompt, 1, javaSteps, false);
        json.put("java_reference_batch1_tokens_per_cpu_s", lastPerCpuSecond);
        double j8 = measure(reference, prompt, 8, Math.max(1, javaSteps / 4), false);
        json.put("java_reference_batch1_tokens_per_s", j1);
        json.put("java_reference_batch8_tokens_per_s", j8);
        json.put("native_over_java_batch1", json.get("native_cpu_batch1_tokens_per_s").asDouble() / j1);
        json.put("native_over_java_batch8", json.get("native_cpu_batch8_tokens_per_s").asDouble() / j8);
        Path loadavg = Path.of("/proc/loadavg");
        if (Files.isReadable(loadavg)) {
            String[] load = Files.readString(loadavg).trim().split(" ");
            json.put("load_average_at_end", load[0] + " " + load[1] + " " + load[2]);
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(Path.of(out + ".json"), json.toPrettyString() + "\n", StandardCharsets.UTF_8);
        System.out.println(json.toPrettyString());
    }

    /**
     * Decode tokens/s: {@code batch} sequences prefilled with the prompt, then {@code steps} batched steps
     * (one {@code step} call each), timed after the prefill.
     */
    static double measure(InferenceEngine engine, int[] prompt, int batch, int steps, boolean closeNative) {
        List<InferenceEngine.Sequence> seqs = new ArrayList<>();
        int[] next = new int[batch];
        for (int b = 0; b < batch; b++) {
            InferenceEngine.Sequence s = engine.newSequence(prompt.length + steps + 1);
            s.prefill(prompt);
            seqs.add(s);
            next[b] = (prompt[0] + 7 * b) % engine.vocabSize();
        }
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        long roundStart = t0;
        lastBestRound = 0;
        for (int i = 0; i < steps; i++) {
            float[][] logits = engine.step(seqs, next);
            for (int b = 0; b < batch; b++) {
                next[b] = argmax(logits[b]);
            }
            if ((i + 1) % ROUND_STEPS == 0) {
                long now = System.nanoTime();
                lastBestRound = Math.max(lastBestRound, (double) batch * ROUND_STEPS / ((now - roundStart) / 1e9));
                roundStart = now;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        lastPerCpuSecond = (double) batch * steps / ((processCpuNanos() - cpu0) / 1e9);
        if (closeNative) {
            for (InferenceEngine.Sequence s : seqs) {
                ((NativeSequence) s).close();
            }
        }
        return (double) batch * steps / seconds;
    }

    /**
     * STREAM-style copy bandwidth, counting bytes read plus bytes written: {@code threads} threads each copy
     * their own 128 MiB block (far beyond any cache) repeatedly; best of 5 rounds.
     */
    static double copyBandwidth(int threads) throws InterruptedException {
        int block = 128 << 20;
        ByteBuffer[] src = new ByteBuffer[threads];
        ByteBuffer[] dst = new ByteBuffer[threads];
        for (int t = 0; t < threads; t++) {
            src[t] = ByteBuffer.allocateDirect(block);
            dst[t] = ByteBuffer.allocateDirect(block);
            dst[t].put(0, src[t], 0, block); // touch every page before timing
        }
        double best = 0;
        for (int round = 0; round < 5; round++) {
            Thread[] workers = new Thread[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int i = t;
                workers[t] = Thread.ofPlatform().start(() -> {
                    for (int rep = 0; rep < 4; rep++) {
                        dst[i].put(0, src[i], 0, block);
                    }
                });
            }
            for (Thread w : workers) {
                w.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * 4 * block * threads / seconds / 1e9);
        }
        return best;
    }

    /**
     * Steps per round for the best-round figure: on a shared machine the fastest round of {@link #measure} is the
     * decode counterpart of the copy bandwidth's best of 5 (both estimate the machine without the other jobs).
     */
    static final int ROUND_STEPS = 8;

    /** Tokens per second of the fastest round of {@link #ROUND_STEPS} steps in the last {@link #measure}. */
    static double lastBestRound;

    /** Tokens per second of process CPU time in the last {@link #measure}: what load from other jobs changes least. */
    static double lastPerCpuSecond;

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }


    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
