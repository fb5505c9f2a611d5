package yunjing.origin;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.origin.model.TestModelGenerator;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Start-up and shutdown: failures name what to fix; close releases the port. */
class OriginServerStartTest {

    @TempDir
    static Path model;
    static EventLoops loops;

    @BeforeAll
    static void setUp() throws Exception {
        TestModelGenerator.generate(model, 1);
        loops = EventLoops.create(1, "origin-start-test");
    }

    @AfterAll
    static void tearDown() {
        loops.close();
    }

    private static OriginConfig config(InetSocketAddress bind, Path dir) {
        return new OriginConfig("n1", bind, List.of(new ModelSpec("tiny-llama", dir, null)), 1);
    }

    @Test
    void missingModelDirectory_throwsModelLoadExceptionNamingThePath(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-model");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> OriginServer.start(
                config(new InetSocketAddress("127.0.0.1", 0), missing), loops, new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void brokenModel_failsBeforeBindingAnything(@TempDir Path tmp) throws Exception {
        TestModelGenerator.generate(tmp, 1);
        Files.write(tmp.resolve("model.safetensors"), new byte[] {1, 2, 3});
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = probe.getLocalPort();
            probe.close();
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> OriginServer.start(
                    config(new InetSocketAddress("127.0.0.1", port), tmp), loops, new SimpleMeterRegistry()));
            assertTrue(e.getMessage().startsWith(tmp.resolve("model.safetensors") + ": "), e.getMessage());
            assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close(),
                    "nothing listens on the port");
        }
    }

    @Test
    void portInUse_throwsNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> OriginServer.start(config(address, model), loops, new SimpleMeterRegistry()));
            assertTrue(e.getMessage().contains(address.toString()), e.getMessage());
            Throwable cause = e;
            while (cause != null && !(cause instanceof BindException)) {
                cause = cause.getCause();
            }
            assertTrue(cause instanceof BindException, "cause chain has a BindException: " + e);
        }
    }

    @Test
    void close_isIdempotent_andFreesThePort() throws Exception {
        OriginServer server = OriginServer.start(config(new InetSocketAddress("127.0.0.1", 0), model), loops,
                new SimpleMeterRegistry());
        assertTrue(server.isReady());
        InetSocketAddress address = server.httpAddress();
        new Socket(address.getAddress(), address.getPort()).close();
        server.close();
        server.close();
        assertFalse(server.isReady());
        assertThrows(java.io.IOException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
    }

    @Test
    void duplicateServedNames_areRefused() {
        OriginConfig twice = new OriginConfig("n1", new InetSocketAddress("127.0.0.1", 0),
                List.of(new ModelSpec("m", model, null), new ModelSpec("m", model, null)), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginServer.start(twice, loops, new SimpleMeterRegistry()));
        assertEquals("models: served name 'm' appears twice (expected: unique names)", e.getMessage());
    }
}
