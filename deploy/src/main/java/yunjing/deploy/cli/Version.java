package yunjing.deploy.cli;

import picocli.CommandLine;

/** Version from the jar manifest when packaged, "dev" when run from classes. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = YunjingCommand.class.getPackage().getImplementationVersion();
        return new String[]{"yunjing " + (version == null ? "dev" : version) + " (Java " + Runtime.version() + ")"};
    }
}
