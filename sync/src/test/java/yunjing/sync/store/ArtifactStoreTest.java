package yunjing.sync.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArtifactStoreTest {

    @TempDir
    Path tmp;

    private Path source(String config) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src-" + config.hashCode()));
        Files.writeString(src.resolve("config.json"), config);
        Files.createDirectories(src.resolve("sub"));
        Files.write(src.resolve("sub/weights.bin"), new byte[]{1, 2, 3});
        return src;
    }

    @Test
    void publish_thenResolveMain_returnsTheFilesWithManifest() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Revision published = store.publish("yunjing/tiny-llama", "main", source("{\"a\":1}"));

        Revision main = store.resolve("yunjing/tiny-llama", "main");
        assertEquals(published.id(), main.id());
        assertEquals(40, main.id().length());
        assertEquals("{\"a\":1}", Files.readString(main.directory().resolve("config.json")));
        assertEquals(2, main.manifest().entries().size());
        assertEquals("config.json", main.manifest().entries().get(0).path());
        assertTrue(main.verify(true).isEmpty());
    }

    @Test
    void publish_sameContentTwice_givesSameRevision() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        String first = store.publish("o/m", "main", source("x")).id();
        String second = store.publish("o/m", "main", source("x")).id();
        String other = store.publish("o/m", "main", source("y")).id();
        assertEquals(first, second);
        assertNotEquals(first, other);
        assertEquals(other, store.resolve("o/m", "main").id());
        assertEquals("x", Files.readString(store.resolve("o/m", first).directory().resolve("config.json")));
    }

    @Test
    void publish_leavesNoStagingFilesBehind() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        store.publish("o/m", "main", source("x"));
        try (Stream<Path> staged = Files.list(store.root().resolve("tmp"))) {
            assertEquals(0, staged.count());
        }
    }

    @Test
    void resolve_unknownRepo_namesRepoAndStore() {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> store.resolve("o/missing", "main"));
        assertTrue(e.getMessage().contains("o/missing"), e.getMessage());
    }

    @Test
    void verify_detectsTruncatedAndTamperedFiles() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Revision rev = store.publish("o/m", "main", source("x"));
        Files.write(rev.directory().resolve("sub/weights.bin"), new byte[]{9, 9, 9});
        assertTrue(rev.verify(false).isEmpty(), "same size passes the quick check");
        assertEquals(1, rev.verify(true).size());
        Files.write(rev.directory().resolve("sub/weights.bin"), new byte[]{1});
        assertTrue(rev.verify(false).get(0).contains("size 1"));
    }

    @Test
    void badNames_areRejectedWithTheExpectedForm() {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.resolve("../etc", "main"));
        assertTrue(e.getMessage().contains("owner/name"));
        assertThrows(IllegalArgumentException.class, () -> store.resolve("o/m", "../x"));
    }
}
