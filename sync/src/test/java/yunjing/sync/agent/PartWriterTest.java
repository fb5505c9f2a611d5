package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PartWriterTest {

    @TempDir
    Path tmp;

    private static final int SIZE = 3 << 20;

    /**
     * Runs at unaligned offsets and lengths, written by the writer, interleaved with other bytes
     * written through an ordinary channel between them (as the fetch workers do), give back the
     * exact file, direct or not.
     */
    private void writesExactBytes(PartWriter writer, FileChannel out, byte[] expected) throws Exception {
        writesExactBytes(writer, out, expected, tmp.resolve("part"));
    }

    private void writesExactBytes(PartWriter writer, FileChannel out, byte[] expected, Path part) throws Exception {
        ByteBuffer buffer = CopyHandoff.allocate(1, SIZE, PartWriter.MAX_ALIGNMENT).getFirst();
        long[][] runs = {{0, 5000}, {5000, 1}, {5001, 70_000}, {75_001, 4096}, {79_097, 1 << 20}, {(1 << 20) + 79_097, 0}};
        long at = 0;
        for (long[] run : runs) {
            at = run[0];
            int length = (int) run[1];
            if (run[0] % 2 == 1) { // odd runs: "fetched" bytes through the ordinary channel
                out.write(ByteBuffer.wrap(expected, (int) at, length), at);
                continue;
            }
            int lead = writer.lead(at);
            buffer.clear().position(lead).limit(lead + length);
            buffer.duplicate().put(expected, (int) at, length);
            writer.write(buffer, at);
        }
        long rest = at;
        int lead = writer.lead(rest);
        int length = (int) (expected.length - rest);
        buffer.clear().position(lead).limit(lead + length);
        buffer.duplicate().put(expected, (int) rest, length);
        writer.write(buffer, rest);
        out.force(true);
        assertArrayEquals(expected, Files.readAllBytes(part));
    }

    private static byte[] random() {
        byte[] b = new byte[SIZE];
        new Random(3).nextBytes(b);
        return b;
    }

    @Test
    void direct_whereTheFileSystemAllowsIt_writesTheExactBytes() throws Exception {
        Path part = tmp.resolve("part");
        try (FileChannel out = FileChannel.open(part, CREATE, READ, WRITE); PartWriter writer = PartWriter.open(part, out)) {
            assumeTrue(writer.isDirect(), "no O_DIRECT on " + Files.getFileStore(tmp).type());
            writesExactBytes(writer, out, random());
        }
    }

    @Test
    void buffered_writesTheExactBytes() throws Exception {
        Path part = tmp.resolve("part");
        try (FileChannel out = FileChannel.open(part, CREATE, READ, WRITE); PartWriter writer = PartWriter.buffered(out)) {
            assertFalse(writer.isDirect());
            writesExactBytes(writer, out, random());
        }
    }

    @Test
    void onTmpfs_directOrNot_writesTheExactBytes() throws Exception {
        // Linux before 6.6 refuses O_DIRECT on tmpfs (the writer then falls back); later ones accept it.
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).type().equals("tmpfs"), "no tmpfs at /dev/shm");
        Path dir = Files.createTempDirectory(shm, "part-writer-test");
        Path part = dir.resolve("part");
        try (FileChannel out = FileChannel.open(part, CREATE, READ, WRITE); PartWriter writer = PartWriter.open(part, out)) {
            writesExactBytes(writer, out, random(), part);
        } finally {
            Files.deleteIfExists(part);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void bytesNotAtTheirLeadInTheBuffer_areRefused() throws Exception {
        Path part = tmp.resolve("part");
        try (FileChannel out = FileChannel.open(part, CREATE, READ, WRITE); PartWriter writer = PartWriter.open(part, out)) {
            assumeTrue(writer.isDirect());
            ByteBuffer buffer = CopyHandoff.allocate(1, 1 << 16, PartWriter.MAX_ALIGNMENT).getFirst();
            assertThrows(IllegalArgumentException.class, () -> writer.write(buffer.position(0).limit(8192), 100));
        }
    }
}
