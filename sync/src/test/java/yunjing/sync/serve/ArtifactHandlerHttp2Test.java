package yunjing.sync.serve;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Revision;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handler behind {@code Http2StreamFrameToHttpObjectCodec}, as on an HTTP/2 stream: the file
 * goes out as chunked DATA frames (no sendfile through HTTP/2 framing), every buffer released.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ArtifactHandlerHttp2Test {

    @TempDir
    Path tmp;

    @Test
    void rangeOverHttp2Stream_sendsHeadersThenDataFrames() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        byte[] model = new byte[300_000];
        new Random(3).nextBytes(model);
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.write(src.resolve("model.bin"), model);
        Revision revision = store.publish("yunjing/h2", "main", src);
        try (ArtifactService service = new ArtifactService(store)) {
            EmbeddedChannel stream = new EmbeddedChannel(new Http2StreamFrameToHttpObjectCodec(true), service.newHandler());
            Http2Headers request = new DefaultHttp2Headers().method("GET").scheme("http").authority("models.mirror.test")
                    .path("/yunjing/h2/resolve/" + revision.id() + "/model.bin").add("range", "bytes=1000-200999");
            stream.writeInbound(new DefaultHttp2HeadersFrame(request, true));

            Http2HeadersFrame head = (Http2HeadersFrame) awaitOutbound(stream);
            assertEquals("206", head.headers().status().toString());
            assertEquals(revision.id(), head.headers().get("x-repo-commit").toString());
            assertTrue(head.headers().get("cache-control").toString().contains("immutable"));
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            boolean end = false;
            while (!end) {
                Object frame = awaitOutbound(stream);
                if (frame instanceof Http2DataFrame data) {
                    byte[] bytes = new byte[data.content().readableBytes()];
                    data.content().readBytes(bytes);
                    body.write(bytes);
                    end = data.isEndStream();
                    data.release();
                } else {
                    end = ((Http2HeadersFrame) frame).isEndStream();
                }
            }
            assertArrayEquals(Arrays.copyOfRange(model, 1000, 201000), body.toByteArray());
            stream.finishAndReleaseAll();
        }
    }

    private static Object awaitOutbound(EmbeddedChannel ch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            ch.runPendingTasks();
            ch.flushOutbound();
            Object o = ch.readOutbound();
            if (o != null) {
                return o;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no outbound frame within 30 s");
    }
}
