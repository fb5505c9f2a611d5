package yunjing.sync.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Recognizes ENOSPC and EDQUOT among the causes of an I/O failure, and says so clearly. */
final class DiskFull {

    private DiskFull() {
    }

    /** True if {@code e} or a cause of it is the file system running out of space or quota. */
    static boolean is(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof IOException && m != null
                    && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** A message naming the store, what it needed and what is left. */
    static IOException explain(IOException e, Path storeTmp, long needed) {
        long free;
        try {
            free = Files.getFileStore(storeTmp).getUsableSpace();
        } catch (IOException unknown) {
            free = -1;
        }
        return new IOException("disk full: the store at " + storeTmp.getParent() + " ran out of space assembling the new revision ("
                + needed + " bytes of files, " + (free < 0 ? "unknown" : free + " bytes") + " free now); "
                + "the staged files were removed and the previous revision stays active. Free space and sync again", e);
    }
}
