package yunjing.sync.agent;

import yunjing.sync.concurrent.Parallel;
import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * One file of a revision to build: assembled in {@code part} (resumable through {@code log}),
 * then renamed to its place in the staged revision.
 */
record FileAssembly(Manifest.Entry entry, Path target, Path part, Path log, Path basis) {

    /** Builds this file with {@code assembler} and moves it into place. */
    void run(FileAssembler assembler) throws IOException {
        assembler.assemble(entry, part, log, basis);
        Files.createDirectories(target.getParent());
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(log);
    }

    /**
     * Runs {@code assemblies}, up to {@code atOnce} at a time, each on a thread of its own
     * ({@link Parallel#map}): after a failure no other file starts; those in progress finish (their
     * parts stay for a resume) and the first failure is thrown.
     */
    static void runAll(FileAssembler assembler, List<FileAssembly> assemblies, int atOnce) throws IOException {
        Parallel.map(assemblies.stream().<Parallel.Task<Void>>map(a -> () -> {
            a.run(assembler);
            return null;
        }).toList(), atOnce, "sync-file");
    }
}
