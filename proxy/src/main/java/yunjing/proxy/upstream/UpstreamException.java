package yunjing.proxy.upstream;

import java.io.IOException;

/** Why an exchange with the parents failed. */
public final class UpstreamException extends IOException {

    /** What went wrong, which decides the status a client gets. */
    public enum Kind {
        /** Every parent tried timed out while connecting: 504. */
        CONNECT_TIMEOUT,
        /** No parent accepted a connection (refused, unreachable, none configured): 502. */
        UNAVAILABLE,
        /** A parent took the request but the connection broke or the response was malformed: 502. */
        BROKEN,
        /** A deadline passed (first byte, idle between response pieces, or total): 504. */
        TIMEOUT
    }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether a client that got no response yet should see 504 Gateway Timeout (else 502). */
    public boolean isTimeout() {
        return kind == Kind.CONNECT_TIMEOUT || kind == Kind.TIMEOUT;
    }

    /** A short reason without addresses (Netty's connect exceptions name them). */
    static String describe(Throwable cause) {
        if (cause == null) {
            return "closed";
        }
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timed out";
        }
        if (cause instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (cause instanceof java.nio.channels.ClosedChannelException) {
            return "connection closed";
        }
        return cause.getClass().getSimpleName();
    }
}
