package yunjing.sync.agent;

import yunjing.sync.store.Manifest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
     * Runs {@code assemblies}, up to {@code atOnce} at a time, each on a thread of its own. After a
     * failure no other file starts; those in progress finish (their parts stay for a resume) and
     * the first failure is thrown.
     */
    static void runAll(FileAssembler assembler, List<FileAssembly> assemblies, int atOnce) throws IOException {
        int threads = Math.min(atOnce, assemblies.size());
        if (threads <= 1) {
            for (FileAssembly a : assemblies) {
                a.run(assembler);
            }
            return;
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService files = Executors.newFixedThreadPool(threads,
                r -> Thread.ofPlatform().daemon().name("sync-file-" + n.incrementAndGet()).unstarted(r));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            List<Future<?>> futures = new ArrayList<>(assemblies.size());
            for (FileAssembly a : assemblies) {
                futures.add(files.submit(() -> {
                    if (failure.get() != null) {
                        return; // the sync fails anyway: start nothing new
                    }
                    try {
                        a.run(assembler);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException | CancellationException e) {
                    // Recorded by the task itself.
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while assembling files");
        } finally {
            files.shutdownNow();
        }
        Failures.rethrow(failure.get());
    }
}
