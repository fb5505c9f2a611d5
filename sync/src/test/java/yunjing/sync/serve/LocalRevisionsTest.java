package yunjing.sync.serve;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.ArtifactStore;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRevisionsTest {

    @TempDir
    Path tmp;

    private static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    @Test
    void claimsTheRevisionsTheStoreHolds_byIdOrMain_andPassesEverythingElseOn() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("replica"));
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{}");
        String held = store.publish("acme/model", "main", src).id();
        String absent = "0".repeat(40);
        LocalRevisions local = new LocalRevisions(store);

        assertTrue(local.test(get("/acme/model/resolve/" + held + "/config.json")));
        assertTrue(local.test(get("/acme/model/resolve/main/config.json")), "main: the replica's rollout target");
        assertTrue(local.test(get("/api/models/acme/model")), "model info at main");
        assertTrue(local.test(get("/api/models/acme/model/revision/" + held)));
        assertTrue(local.test(get("/api/sync/acme/model/bytes/" + held + "/0-1/config.json")), "spans for downstream agents");
        assertEquals(5, local.claimed());

        assertFalse(local.test(get("/acme/model/resolve/" + absent + "/config.json")), "a revision it does not hold");
        assertFalse(local.test(get("/acme/model/resolve/v1.0/config.json")), "another ref");
        assertFalse(local.test(get("/acme/other/resolve/main/config.json")), "another repository");
        assertFalse(local.test(get("/api/sync/acme/model/manifest/" + held)), "manifests: the origin's word");
        assertFalse(local.test(get("/api/models/acme/model/commits/main")), "the history: the origin's too");
        assertFalse(local.test(get("/acme/model/resolve/main/../../etc/passwd")), "malformed: the parents answer it");
        assertFalse(local.test(get("/v1/chat/completions")), "not an artifact path");
        assertEquals(5, local.claimed());
        assertTrue(store.hasRevision("acme/model", held));
        assertFalse(store.hasRevision("acme/model", absent));
        assertFalse(store.hasRevision("acme/model", "main"), "a ref is not a revision id");
    }
}
