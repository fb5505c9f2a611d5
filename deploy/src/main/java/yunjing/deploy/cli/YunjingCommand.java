package yunjing.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code yunjing} command line. Exit codes: 0 success, 1 a check found a problem
 * ({@code status} with nodes not ready), 2 bad usage or input (unknown option, bad topology,
 * unknown node, port in use, missing model files).
 */
@Command(name = "yunjing", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "yunjing (云镜): CDN mirror and smart DNS for a large-model API.")
public final class YunjingCommand implements Runnable {

    /**
     * The subcommands, in the order help lists them. Registered by {@link #execute} rather than
     * in the annotation: picocli reflects over every command class it is given, which for the whole
     * tree is about a third of a second of a short command's start, so a command line naming one
     * of these gets only that one's tree.
     */
    private static final List<Class<?>> SUBCOMMANDS = List.of(UpCommand.class, NodeCommand.class, StatusCommand.class,
            ModelCommand.class, DnsCommand.class, GeoCommand.class, PurgeCommand.class, WarmCommand.class,
            DrainCommand.Drain.class, DrainCommand.Undrain.class, ProxyCommand.class, SyncCommand.class, RolloutCommand.class,
            BenchCommand.class, CommandLine.HelpCommand.class);

    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: yunjing up, yunjing --help)");
    }

    public static void main(String[] args) {
        // One line per log record (time, level, logger, message) instead of JUL's default two.
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line with the given output streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new YunjingCommand());
        Class<?> named = args.length == 0 ? null : subcommandNamed(args[0]);
        for (Class<?> command : named == null || named == CommandLine.HelpCommand.class ? SUBCOMMANDS : List.of(named)) {
            cli.addSubcommand(command);
        }
        cli.setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException cliError) {
                commandLine.getErr().println("yunjing: " + cliError.getMessage());
                return cliError.exitCode();
            }
            commandLine.getErr().println("yunjing: unexpected error: " + e);
            e.printStackTrace(commandLine.getErr());
            return 1;
        });
        cli.setParameterExceptionHandler((e, args1) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("yunjing: " + e.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            return USAGE;
        });
        return cli.execute(args);
    }

    /** The subcommand class called {@code name} (or one of its aliases), or null. */
    static Class<?> subcommandNamed(String name) {
        for (Class<?> command : SUBCOMMANDS) {
            Command annotation = command.getAnnotation(Command.class);
            if (annotation.name().equals(name) || Arrays.asList(annotation.aliases()).contains(name)) {
                return command;
            }
        }
        return null;
    }
}
