package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpChunkSourceTest {

    @TempDir
    Path tmp;

    @Test
    void rangeOfAFileWithSpacesInItsPath_isFetchedAsPartialContent() throws IOException {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Path src = Files.createDirectories(tmp.resolve("src/sub dir"));
        Files.writeString(src.resolve("a+b ü.txt"), "0123456789");
        Revision rev = store.publish("o/m", "main", tmp.resolve("src"));
        try (OriginServer server = new OriginServer(store.root()); HttpClient client = HttpClient.newHttpClient()) {
            HttpChunkSource source = new HttpChunkSource(client, server.uri(), Duration.ofSeconds(5));
            try (InputStream in = source.openRange("o/m", rev.id(), "sub dir/a+b ü.txt", 2, 5)) {
                assertArrayEquals("2345".getBytes(), in.readAllBytes());
            }

            server.ignoreRange.set(true);
            IOException e = assertThrows(IOException.class, () -> source.openRange("o/m", rev.id(), "sub dir/a+b ü.txt", 2, 5));
            assertTrue(e.getMessage().contains("status 200"), e.getMessage());
            server.ignoreRange.set(false);

            e = assertThrows(IOException.class, () -> source.openRange("o/m", rev.id(), "sub dir/a+b ü.txt", 8, 20));
            assertTrue(e.getMessage().contains("expected: 206 with bytes 8-20"), e.getMessage());
        }
    }

    @Test
    void encodePath_escapesEverythingButUnreservedCharactersAndSlashes() {
        assertEquals("org/repo/sub%20dir/a%2Bb%20%C3%BC.txt", HttpChunkSource.encodePath("org/repo/sub dir/a+b ü.txt"));
    }
}
