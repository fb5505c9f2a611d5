package yunjing.deploy.cli;

/** A command failure with a one-line message and the exit code to leave with. */
final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static CliException usage(String message, Throwable cause) {
        return new CliException(message, YunjingCommand.USAGE, cause);
    }

    int exitCode() {
        return exitCode;
    }
}
