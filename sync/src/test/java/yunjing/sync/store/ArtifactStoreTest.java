package yunjing.sync.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.chunk.Chunk;
import yunjing.sync.chunk.FastCdc;
import yunjing.sync.sign.Ed25519Keys;
import yunjing.sync.sign.ManifestSigner;
import yunjing.sync.sign.ManifestVerifier;

import java.io.IOException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
    void publish_indexesSeveralFilesAtOnce_intoTheSameEntriesInPathOrder() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("shards"));
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < 7; i++) {
            byte[] shard = new byte[(i + 1) * 150_000];
            random.nextBytes(shard);
            Files.write(Files.createDirectories(src.resolve(i % 2 == 0 ? "a" : "b")).resolve("shard-" + i + ".bin"), shard);
        }
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));

        Revision rev = store.publish("acme/shards", "main", src);

        List<String> paths = rev.manifest().entries().stream().map(Manifest.Entry::path).toList();
        assertEquals(paths.stream().sorted().toList(), paths, "entries in path order, whatever finished first");
        assertEquals(7, paths.size());
        for (Manifest.Entry e : rev.manifest().entries()) {
            assertEquals(StagedFiles.index(e.path(), src.resolve(e.path())), e, "indexed as one file alone: " + e.path());
        }
        assertTrue(rev.verify(true).isEmpty(), rev.verify(true).toString());
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

    @Test
    void publish_writesChunkListsThatTileEachFile() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("big"));
        byte[] weights = new byte[(1 << 20) + 123];
        new Random(5).nextBytes(weights);
        Files.write(src.resolve("model.bin"), weights);
        Files.write(src.resolve("empty.txt"), new byte[0]);
        Revision rev = new ArtifactStore(tmp.resolve("store")).publish("o/m", "main", src);

        Manifest.Entry model = rev.manifest().entry("model.bin");
        assertEquals(FastCdc.chunks(src.resolve("model.bin")), model.chunks());
        assertEquals(weights.length, model.chunks().getLast().end());
        assertTrue(model.chunks().size() > 5);
        assertEquals(List.of(), rev.manifest().entry("empty.txt").chunks());
        assertNull(rev.manifest().entry("missing"));
    }

    @Test
    void publish_issuesIncreasingVersionsAndExpiry_keepingTheContentAddress() throws IOException {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        ArtifactStore store = ArtifactStore.builder(tmp.resolve("store"))
                .clock(Clock.fixed(now, ZoneOffset.UTC)).validity(Duration.ofHours(6)).build();
        Revision a = store.publish("o/m", "main", source("a"));
        Revision b = store.publish("o/m", "main", source("b"));
        Revision again = store.publish("o/m", "main", source("a"));

        assertEquals(List.of(1L, 2L, 3L), List.of(a.manifest().version(), b.manifest().version(), again.manifest().version()));
        assertEquals(a.id(), again.id(), "same files, same revision");
        assertEquals(3, store.resolve("o/m", a.id()).manifest().version(), "re-publishing refreshes the revision's manifest");
        assertEquals(now.plus(Duration.ofHours(6)), again.manifest().expires());
        assertEquals(1, store.publish("o/other", "main", source("a")).manifest().version(), "versions are per repository");
    }

    @Test
    void publish_withSigner_writesAManifestTheVerifierAccepts() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore store = ArtifactStore.builder(tmp.resolve("store"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        Revision rev = store.publish("o/m", "main", source("x"));

        byte[] json = Files.readAllBytes(rev.directory().resolve(Manifest.FILE_NAME));
        Manifest verified = new ManifestVerifier(keys.getPublic(), Clock.systemUTC()).verify(json, "o/m", null);
        assertEquals(rev.manifest(), verified);
        assertEquals(rev.id(), verified.revision());
    }

    @Test
    void formatOneManifest_stillResolves() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Revision rev = store.publish("o/m", "main", source("x"));
        String v1 = "{\"repo\":\"o/m\",\"revision\":\"" + rev.id() + "\",\"files\":["
                + rev.manifest().entries().stream()
                .map(e -> "{\"path\":\"" + e.path() + "\",\"size\":" + e.size() + ",\"sha256\":\"" + e.sha256() + "\"}")
                .collect(java.util.stream.Collectors.joining(",")) + "]}";
        Files.writeString(rev.directory().resolve(Manifest.FILE_NAME), v1);

        Revision old = store.resolve("o/m", "main");
        assertEquals(0, old.manifest().version());
        assertNull(old.manifest().expires());
        assertEquals(List.<Chunk>of(), old.manifest().entries().get(0).chunks());
        assertTrue(old.verify(true).isEmpty());
    }

    @Test
    void activate_refusesADirectoryOutsideTheStagingFolder() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.activate("o/m", "main", elsewhere));
        assertTrue(e.getMessage().contains("expected: a directory in"), e.getMessage());
    }

    @Test
    void reissue_resignsAnOldRevisionAboveTheNewestVersion_leavingRefsAndFiles() throws Exception {
        KeyPair keys = Ed25519Keys.generate();
        ArtifactStore store = ArtifactStore.builder(tmp.resolve("store"))
                .signer(new ManifestSigner(keys.getPrivate(), keys.getPublic())).build();
        Revision a = store.publish("o/m", "main", source("a"));
        Revision b = store.publish("o/m", "main", source("b"));

        Revision again = store.reissue("o/m", a.id());
        assertEquals(a.id(), again.id());
        assertEquals(3, again.manifest().version());
        assertEquals(3, store.lastVersion("o/m"));
        assertEquals(b.id(), store.revisionId("o/m", "main"), "no ref moves");
        assertTrue(again.verify(true).isEmpty(), "the files are untouched");
        byte[] json = Files.readAllBytes(again.directory().resolve(Manifest.FILE_NAME));
        // A replica that accepted b (version 2) takes a re-signed a: it is newer.
        new ManifestVerifier(keys.getPublic(), Clock.systemUTC()).verify(json, "o/m", new ManifestVerifier.Accepted(2, b.id()));
        assertThrows(NoSuchFileException.class, () -> store.reissue("o/m", "0".repeat(40)));
    }

    @Test
    void setRefAndRepos_listAndMoveOnlyWhatExists() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        assertEquals(List.of(), store.repos());
        assertEquals(0, store.lastVersion("o/m"));
        Revision a = store.publish("o/m", "main", source("a"));
        store.publish("acme/z", "main", source("z"));
        store.setRef("o/m", "rollout.n1", "main");
        assertEquals(a.id(), store.revisionId("o/m", "rollout.n1"));
        assertEquals(List.of("acme/z", "o/m"), store.repos());
        assertThrows(NoSuchFileException.class, () -> store.setRef("o/m", "x", "f".repeat(40)));
        assertThrows(IllegalArgumentException.class, () -> store.setRef("o/m", "../x", a.id()));
    }
}
