package yunjing.sync.agent;

import java.io.IOException;

/** The first failure of work spread over threads, thrown again on the thread that waited for it. */
final class Failures {

    private Failures() {
    }

    /** Throws {@code failure} as it was (an I/O, unchecked or error), any other wrapped in an IOException; nothing for null. */
    static void rethrow(Throwable failure) throws IOException {
        if (failure instanceof IOException io) {
            throw io;
        } else if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error err) {
            throw err;
        } else if (failure != null) {
            throw new IOException(failure);
        }
    }
}
