package yunjing.deploy.cli;

import picocli.CommandLine.Option;
import yunjing.deploy.run.StateDir;

import java.nio.file.Path;

/** {@code --state-dir}, for every command that reads or writes node state. */
final class StateDirOption {

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "State directory: TLS files, artifact store (default: $YUNJING_STATE_DIR, "
                    + "$XDG_STATE_HOME/yunjing or ~/.local/state/yunjing).")
    Path stateDir;

    StateDir state() {
        return stateDir == null ? StateDir.defaultLocation() : new StateDir(stateDir);
    }
}
