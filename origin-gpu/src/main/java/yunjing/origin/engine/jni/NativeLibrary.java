package yunjing.origin.engine.jni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the native worker library once, from the jar ({@value #RESOURCE_DIR}) or from the path in the system
 * property {@value #PATH_PROPERTY}; a gate in the style of Netty's {@code Epoll}: {@link #isAvailable()},
 * {@link #unavailabilityCause()}, {@link #ensureAvailability()}.
 */
public final class NativeLibrary {

    static final String RESOURCE_DIR = "/native/linux-x86_64/";
    static final String LIBRARY = "libyunjing_origin.so";
    public static final String PATH_PROPERTY = "yunjing.native.library";

    private static final Throwable UNAVAILABILITY_CAUSE = load();

    private NativeLibrary() {}

    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the library could not be loaded, or null when it is loaded. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw new UnsatisfiedLinkError("native inference worker unavailable: " + UNAVAILABILITY_CAUSE.getMessage());
        }
    }

    private static Throwable load() {
        try {
            String explicit = System.getProperty(PATH_PROPERTY);
            if (explicit != null && !explicit.isBlank()) {
                System.load(Path.of(explicit).toAbsolutePath().toString());
                return null;
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return new UnsupportedOperationException("no native library for " + os + "/" + arch
                        + " (built for linux/x86_64)");
            }
            try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE_DIR + LIBRARY)) {
                if (in == null) {
                    return new UnsupportedOperationException(RESOURCE_DIR + LIBRARY + " is not in the jar (the build"
                            + " had no cmake / C++ compiler, or ran with -Dnative.skip)");
                }
                // Loaded from a private temp copy that is deleted at once: the mapping outlives the name, so
                // nothing is left behind however the JVM exits.
                Path tmp = Files.createTempFile("yunjing-origin-", ".so");
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    System.load(tmp.toAbsolutePath().toString());
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            NativeBindings.compiledBackends(); // fails here, not later, if the library is a stale build
            return null;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return e;
        }
    }
}
