package yunjing.origin.engine.jni;

import yunjing.origin.ModelLoadException;
import yunjing.origin.engine.InferenceEngine;
import yunjing.origin.engine.JavaReferenceEngine;
import yunjing.origin.model.Checkpoint;

import java.util.Locale;

/**
 * Chooses the engine for a loaded checkpoint: tensorrt → cuda → cpu → java, the first that is built and usable,
 * unless the system property {@value #PROPERTY} or the environment variable {@value #ENV} names one
 * ({@code java}, {@code cpu}, {@code cuda}, {@code tensorrt}, {@code auto}); a named engine that cannot run is
 * an error rather than a silent fallback. {@link Selection#reason()} says why, for the start-up log line.
 */
public final class EngineSelector {

    public static final String PROPERTY = "yunjing.engine";
    public static final String ENV = "YUNJING_ENGINE";
    /** CPU threads of the native engine; default: every available processor. */
    public static final String THREADS_PROPERTY = "yunjing.engine.threads";

    /** The engine, its name ({@code java}, {@code cpu}, {@code cuda}) and why it was chosen. */
    public record Selection(InferenceEngine engine, String name, String reason) {}

    private EngineSelector() {}

    public static Selection select(Checkpoint cp) throws ModelLoadException {
        String requested = System.getProperty(PROPERTY);
        String source = "-D" + PROPERTY;
        if (requested == null || requested.isBlank()) {
            requested = System.getenv(ENV);
            source = ENV;
        }
        if (requested == null || requested.isBlank()) {
            requested = "auto";
        }
        int threads = Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors());
        return select(cp, requested.trim().toLowerCase(Locale.ROOT), source, threads);
    }

    static Selection select(Checkpoint cp, String requested, String source, int threads) throws ModelLoadException {
        String asked = "requested by " + source + "=" + requested;
        switch (requested) {
            case "java" -> {
                return new Selection(new JavaReferenceEngine(cp.config(), cp.weights()), "java", asked);
            }
            case "cpu", "cuda" -> {
                String why = nativeUnavailability(requested);
                if (why != null) {
                    throw new ModelLoadException(cp.directory() + ": engine " + requested + " " + asked
                            + " is unavailable: " + why);
                }
                return nativeEngine(cp, requested, threads, asked);
            }
            case "tensorrt" -> throw new ModelLoadException(cp.directory() + ": engine tensorrt " + asked
                    + " is unavailable: " + TENSORRT_UNAVAILABLE);
            case "auto" -> {
                String noCuda = nativeUnavailability("cuda");
                if (noCuda == null) {
                    return nativeEngine(cp, "cuda", threads, "auto: " + TENSORRT_UNAVAILABLE + "; a CUDA device is present");
                }
                String noCpu = nativeUnavailability("cpu");
                if (noCpu == null) {
                    return nativeEngine(cp, "cpu", threads, "auto: " + TENSORRT_UNAVAILABLE + "; cuda unavailable ("
                            + noCuda + ")");
                }
                return new Selection(new JavaReferenceEngine(cp.config(), cp.weights()), "java",
                        "auto: native worker unavailable (" + noCpu + ")");
            }
            default -> throw new ModelLoadException(source + ": unknown engine '" + requested
                    + "' (expected: auto, java, cpu, cuda or tensorrt)");
        }
    }

    static final String TENSORRT_UNAVAILABLE = "the TensorRT backend is not built (no TensorRT SDK support yet)";

    /** Null when the native {@code backend} can run here, else why not. */
    static String nativeUnavailability(String backend) {
        if (!NativeLibrary.isAvailable()) {
            return String.valueOf(NativeLibrary.unavailabilityCause().getMessage());
        }
        if (backend.equals("cuda")) {
            return NativeBindings.cudaUnavailability();
        }
        return null;
    }

    private static Selection nativeEngine(Checkpoint cp, String backend, int threads, String reason)
            throws ModelLoadException {
        NativeEngine engine = NativeEngine.open(cp.directory(), cp.config(), backend, threads);
        return new Selection(engine, backend, reason + (backend.equals("cpu") ? ", " + threads + " threads" : ""));
    }
}
