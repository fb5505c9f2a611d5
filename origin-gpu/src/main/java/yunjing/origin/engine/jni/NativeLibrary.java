package yunjing.origin.engine.jni;

import yunjing.common.jni.BundledLibrary;

/**
 * Loads the native worker library once, from the jar ({@code native/linux-x86_64/}) or from the path in the system
 * property {@value #PATH_PROPERTY}; a gate in the style of Netty's {@code Epoll}: {@link #isAvailable()},
 * {@link #unavailabilityCause()}, {@link #ensureAvailability()}.
 */
public final class NativeLibrary {

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
        Throwable cause = BundledLibrary.load(NativeLibrary.class, LIBRARY, PATH_PROPERTY,
                "the build had no cmake / C++ compiler, or ran with -Dnative.skip");
        if (cause != null) {
            return cause;
        }
        try {
            NativeBindings.compiledBackends(); // fails here, not later, if the library is a stale build
            return null;
        } catch (UnsatisfiedLinkError e) {
            return e;
        }
    }
}
