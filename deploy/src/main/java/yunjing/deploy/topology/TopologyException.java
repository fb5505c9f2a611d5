package yunjing.deploy.topology;

/** A topology file that cannot be used; the message is one line, {@code file:line: what is wrong}. */
public final class TopologyException extends Exception {
    public TopologyException(String message) {
        super(message);
    }

    public TopologyException(String message, Throwable cause) {
        super(message, cause);
    }
}
