package yunjing.sync.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.List;

/**
 * The sidecar of a partial file: the indexes of chunks already written to it and verified, one
 * decimal per line, appended and fsynced only after the part file itself was fsynced. So after a
 * crash every listed chunk is on disk and correct; a torn last line (no newline) is ignored.
 */
final class ResumeLog implements AutoCloseable {

    private final FileChannel channel;

    private ResumeLog(FileChannel channel) {
        this.channel = channel;
    }

    /** Chunk indexes below {@code chunks} recorded in {@code file}; empty if there is none. */
    static BitSet load(Path file, int chunks) throws IOException {
        BitSet done = new BitSet(chunks);
        if (!Files.isRegularFile(file)) {
            return done;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return done;
        }
        for (String line : text.substring(0, end).split("\n")) {
            try {
                int i = Integer.parseInt(line.strip());
                if (i >= 0 && i < chunks) {
                    done.set(i);
                }
            } catch (NumberFormatException ignored) {
                // A damaged line only costs a refetch of that chunk.
            }
        }
        return done;
    }

    static ResumeLog open(Path file) throws IOException {
        return new ResumeLog(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** Records {@code indexes} durably; call after the data they name is fsynced. */
    void append(List<Integer> indexes) throws IOException {
        if (indexes.isEmpty()) {
            return;
        }
        StringBuilder lines = new StringBuilder();
        for (int i : indexes) {
            lines.append(i).append('\n');
        }
        ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.US_ASCII));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
