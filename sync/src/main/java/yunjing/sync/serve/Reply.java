package yunjing.sync.serve;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * What the blocking half of a request produced, for the event loop to write. Whoever holds a
 * reply owns its resources until {@link #discard()} or until it is written.
 */
sealed interface Reply {

    /** Releases what the reply holds when it will never be written (channel gone). */
    void discard();

    /** A complete response: JSON, an error, a 304 or a HEAD answer. */
    record Full(FullHttpResponse response) implements Reply {
        @Override
        public void discard() {
            response.release();
        }
    }

    /** Headers, then {@code length} bytes of {@code file} from {@code offset}, sent without copying where possible. */
    record File(HttpResponse head, FileChannel file, long offset, long length) implements Reply {
        @Override
        public void discard() {
            try {
                file.close();
            } catch (IOException ignored) {
                // Nothing was sent from it; the descriptor is released either way.
            }
        }
    }
}
