package yunjing.dns.zone;

import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an RFC 1035 section 5 master file with dnsjava's {@link Master}. Syntax errors come out as
 * {@code IOException("file:line: problem")}: dnsjava's tokenizer already words them that way.
 */
final class MasterFileReader {

    /** TTL of records that give none and follow no {@code $TTL} directive (RFC 2308 section 4). */
    static final long DEFAULT_TTL = 3600;

    private MasterFileReader() {
    }

    static List<Record> read(Path file, Name origin) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such zone file");
        }
        List<Record> records = new ArrayList<>();
        try (Master master = new Master(file.toString(), origin, DEFAULT_TTL)) {
            Record record;
            while ((record = master.nextRecord()) != null) {
                records.add(record);
            }
        } catch (IOException e) {
            // dnsjava names the file by its bare name ("z.zone:3: ..."); put the path back so the
            // operator knows which file, and keep the line.
            String message = String.valueOf(e.getMessage());
            String bare = file.getFileName() + ":";
            if (message.startsWith(bare)) {
                throw new IOException(file + ":" + message.substring(bare.length()), e);
            }
            throw new IOException(file + ": " + message, e);
        }
        return records;
    }
}
