package yunjing.dns.testing;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import yunjing.dns.zone.ZoneData;
import yunjing.dns.zone.ZoneLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The zone most tests use: {@code mirror.test.} with two steered names and a small master file. */
public final class TestZone {

    public static final String MASTER_FILE = """
            $TTL 300
            @           IN TXT   "v=yunjing1"
            @           IN CAA   0 issue "letsencrypt.org"
            www         IN CNAME api
            docs        IN CNAME www
            outside     IN CNAME cdn.example.net.
            loop1       IN CNAME loop2
            loop2       IN CNAME loop1
            dangling    IN CNAME nowhere
            static      IN A     192.0.2.7
            static      IN AAAA  2001:db8::7
            mail        IN MX    10 static
            deep.ent    IN A     192.0.2.8
            big         IN TXT   "%1$s" "%1$s" "%1$s"
            """.formatted("x".repeat(250));

    private TestZone() {
    }

    public static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    public static Path writeMasterFile(Path dir) {
        try {
            return Files.writeString(dir.resolve("mirror.test.zone"), MASTER_FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ZoneData load(Path dir) {
        try {
            return ZoneLoader.load(name("mirror.test."), List.of(name("api.mirror.test."), name("models.mirror.test.")),
                    List.of(InetAddress.getByName("127.0.0.1")), writeMasterFile(dir), 1_700_000_000L);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
