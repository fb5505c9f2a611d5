package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.run.ModelTool;
import yunjing.deploy.run.StateDir;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Path;

/** {@code yunjing model gen|publish}: make test models and put checkpoints into the origin's store. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Generate test models and publish model directories into the artifact store.",
        subcommands = {ModelCommand.Gen.class, ModelCommand.Publish.class})
final class ModelCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: gen or publish");
    }

    @Command(name = "gen", mixinStandardHelpOptions = true,
            description = "Write the seeded tiny Llama test model (config.json, model.safetensors, tokenizer.json, "
                    + "tokenizer_config.json, generation_config.json) to --out, or publish it into the store.")
    static final class Gen implements Runnable {
        @Option(names = "--seed", defaultValue = "42", description = "Weight seed (default: ${DEFAULT-VALUE}); same seed, same bytes.")
        long seed;

        @Option(names = "--shards", defaultValue = "1", paramLabel = "N", description = "Split the weights into N "
                + "safetensors shards with a model.safetensors.index.json, as large Hugging Face checkpoints are "
                + "published (default: ${DEFAULT-VALUE}, one model.safetensors).")
        int shards;

        @Option(names = "--out", paramLabel = "DIR", description = "Write the files here instead of publishing them.")
        Path out;

        @Option(names = "--repo", defaultValue = "yunjing/tiny-llama", description = "Store repository (default: ${DEFAULT-VALUE}).")
        String repo;

        @Mixin
        StateDirOption stateDir;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                if (out != null) {
                    ModelTool.generate(out, seed, shards);
                    spec.commandLine().getOut().println("yunjing: wrote test model (seed " + seed
                            + (shards > 1 ? ", " + shards + " shards" : "") + ") to " + out.toAbsolutePath());
                    return;
                }
                StateDir state = stateDir.state();
                Revision revision = ModelTool.generateAndPublish(state, repo, seed, shards);
                spec.commandLine().getOut().println("yunjing: published " + repo + "@main = " + revision.id()
                        + " in " + state.artifacts());
            } catch (IOException | IllegalArgumentException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Publish a model directory (Hugging Face layout) as a new revision of --repo and point --ref at it.")
    static final class Publish implements Runnable {
        @Parameters(paramLabel = "DIR", description = "Directory with config.json, *.safetensors, tokenizer.json …")
        Path source;

        @Option(names = "--repo", required = true, description = "Repository, owner/name.")
        String repo;

        @Option(names = "--ref", defaultValue = "main", description = "Ref to move (default: ${DEFAULT-VALUE}).")
        String ref;

        @Mixin
        StateDirOption stateDir;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            StateDir state = stateDir.state();
            try {
                Revision revision = ModelTool.publish(state, repo, ref, source);
                spec.commandLine().getOut().println("yunjing: published " + repo + "@" + ref + " = " + revision.id()
                        + " (" + revision.manifest().entries().size() + " files)");
            } catch (IOException | IllegalArgumentException e) {
                throw CliException.usage(source + ": " + e.getMessage(), e);
            }
        }
    }
}
