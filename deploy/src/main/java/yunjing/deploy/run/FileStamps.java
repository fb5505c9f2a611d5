package yunjing.deploy.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the reloaders compare between polls: each file's modification time and size, or "missing". Polling, not
 * WatchService, because editors and config management replace files by rename, which watches on the old inode
 * miss.
 */
final class FileStamps {

    private FileStamps() {}

    /** One stamp per file, in order; equal lists mean nothing changed. */
    static List<String> of(List<Path> files) {
        List<String> out = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                out.add(Files.getLastModifiedTime(f).toMillis() + "/" + Files.size(f));
            } catch (IOException e) {
                out.add("missing"); // gone now: a change, reported when it is read
            }
        }
        return out;
    }
}
