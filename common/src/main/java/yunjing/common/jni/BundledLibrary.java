package yunjing.common.jni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads a JNI library that the build put into a module's jar under {@value #RESOURCE_DIR}, or from
 * a path a system property names (for a library built elsewhere). Modules keep their own gate in
 * the style of Netty's {@code Epoll} ({@code isAvailable()}, {@code unavailabilityCause()}) around
 * the {@link Throwable} this returns.
 */
public final class BundledLibrary {

    /** Where builds put libraries in the jar; only Linux on x86-64 is built. */
    public static final String RESOURCE_DIR = "/native/linux-x86_64/";

    private BundledLibrary() {
    }

    /**
     * Loads {@code fileName} (e.g. {@code libyunjing_dns.so}) with {@code anchor}'s class loader.
     *
     * @param pathProperty a system property that, when set, names the library file to load instead
     * @param missingHint  why the jar may lack it, for the message (e.g. "the build had no C compiler")
     * @return null when loaded, else why not (never thrown: callers fall back or report)
     */
    public static Throwable load(Class<?> anchor, String fileName, String pathProperty, String missingHint) {
        try {
            String explicit = System.getProperty(pathProperty);
            if (explicit != null && !explicit.isBlank()) {
                System.load(Path.of(explicit).toAbsolutePath().toString());
                return null;
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return new UnsupportedOperationException("no " + fileName + " for " + os + "/" + arch
                        + " (built for linux/x86_64)");
            }
            try (InputStream in = anchor.getResourceAsStream(RESOURCE_DIR + fileName)) {
                if (in == null) {
                    return new UnsupportedOperationException(RESOURCE_DIR + fileName + " is not in the jar ("
                            + missingHint + ")");
                }
                // Loaded from a private temp copy that is deleted at once: the mapping outlives the name, so
                // nothing is left behind however the JVM exits.
                String stem = fileName.replaceFirst("\\.so$", "");
                Path tmp = Files.createTempFile(stem + "-", ".so");
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    System.load(tmp.toAbsolutePath().toString());
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return null;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return e;
        }
    }
}
