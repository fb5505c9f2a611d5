package yunjing.deploy.run;

/** A role that cannot start; the message is one line naming the node and the cause. */
public final class LaunchException extends Exception {
    public LaunchException(String message) {
        super(message);
    }

    public LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
