package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which files are linked, and what a resumed sync finds in its staged revision. */
class UnchangedFilesTest {

    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    @TempDir
    Path tmp;

    @Test
    void linksTrustedFilesBySha256AndSize_underAnyPath_andRecognisesItsOwnLinkOnResume() throws Exception {
        Path previous = Files.createDirectories(tmp.resolve("revisions/old"));
        Files.writeString(previous.resolve("model.bin"), "0123456789");
        Files.writeString(previous.resolve("untrusted.bin"), "abcdefghij");
        Manifest old = new Manifest("o/m", List.of(new Manifest.Entry("model.bin", 10, SHA_A),
                new Manifest.Entry("untrusted.bin", 10, SHA_B)));
        UnchangedFiles unchanged = UnchangedFiles.of(new Revision("o/m", "0".repeat(40), previous, old), Set.of("model.bin"));
        Path staged = tmp.resolve("staged");

        Path renamed = staged.resolve("shards/renamed.bin");
        assertTrue(unchanged.link(new Manifest.Entry("shards/renamed.bin", 10, SHA_A), renamed), "same bytes under another path");
        assertTrue(Files.isSameFile(previous.resolve("model.bin"), renamed));
        assertTrue(unchanged.link(new Manifest.Entry("shards/renamed.bin", 10, SHA_A), renamed), "a resume finds its link");

        assertFalse(unchanged.link(new Manifest.Entry("u.bin", 10, SHA_B), staged.resolve("u.bin")), "not trusted: assemble");
        assertFalse(unchanged.link(new Manifest.Entry("m.bin", 11, SHA_A), staged.resolve("m.bin")), "another size");
        Files.writeString(staged.resolve("other.bin"), "0123456789");
        assertFalse(unchanged.link(new Manifest.Entry("other.bin", 10, SHA_A), staged.resolve("other.bin")),
                "a file already there that is not the link: the caller checks it");
        assertFalse(UnchangedFiles.of(null, Set.of()).link(new Manifest.Entry("x", 10, SHA_A), staged.resolve("x")));
        assertEquals("0123456789", Files.readString(renamed));
    }
}
