package yunjing.deploy.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import yunjing.deploy.run.StateDir;
import yunjing.deploy.topology.Topology;
import yunjing.deploy.topology.TopologyException;
import yunjing.deploy.topology.TopologyLoader;

import java.nio.file.Path;

/** {@code --topology} and {@code --state-dir}, shared by the commands that run or read nodes. */
final class TopologyOptions {

    @Option(names = "--topology", paramLabel = "FILE",
            description = "Topology file (default: the embedded deploy/topology/local.yaml).")
    Path topologyFile;

    @Mixin
    StateDirOption stateDir;

    Topology topology() {
        try {
            return topologyFile == null ? TopologyLoader.loadEmbedded() : TopologyLoader.load(topologyFile);
        } catch (TopologyException e) {
            throw CliException.usage(e.getMessage(), e);
        }
    }

    StateDir state() {
        return stateDir.state();
    }
}
