package yunjing.deploy.run;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.deploy.topology.ModelRef;
import yunjing.origin.ModelSpec;
import yunjing.origin.OriginConfig;
import yunjing.origin.OriginServer;
import yunjing.origin.sched.SchedulerConfig;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@link ModelReloader} against a real store and origin, one {@code check()} at a time (the timer is idle). */
class ModelReloaderTest {

    private static final String REPO = "yunjing/tiny-llama";
    private static final long NEVER = 3_600_000;

    @TempDir
    Path tmp;

    @Test
    void refMovingToANewRevision_isSwappedIn_aBrokenOneIsNot() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Revision first = ModelPreparer.publishTestModel(store, REPO, "main", 1);
        ModelRef ref = new ModelRef("tiny-llama", REPO, "main", null);
        List<ModelSpec> served = List.of(new ModelSpec("tiny-llama", first.directory(), first.id()));
        try (EventLoops loops = EventLoops.create(1, "reloader-test");
             OriginServer origin = OriginServer.start(new OriginConfig("o", new InetSocketAddress("127.0.0.1", 0),
                     served, 1, SchedulerConfig.DEFAULTS), loops, new SimpleMeterRegistry());
             ModelReloader reloader = new ModelReloader(store, origin, "o", List.of(ref), served, NEVER)) {
            reloader.check();
            assertEquals(Map.of("tiny-llama", first.id()), origin.revisions(), "nothing moved, nothing reloaded");

            Path broken = Files.createDirectory(tmp.resolve("broken"));
            Files.writeString(broken.resolve("config.json"), "{not json");
            Revision bad = store.publish(REPO, "main", broken);
            reloader.check();
            assertEquals(Map.of("tiny-llama", first.id()), origin.revisions(), "a broken revision is not served");

            Revision second = ModelPreparer.publishTestModel(store, REPO, "main", 2);
            assertNotEquals(bad.id(), second.id());
            reloader.check();
            assertEquals(Map.of("tiny-llama", second.id()), origin.revisions());
        }
    }
}
