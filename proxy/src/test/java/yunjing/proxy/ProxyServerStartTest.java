package yunjing.proxy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import yunjing.common.net.EventLoops;
import yunjing.proxy.testing.LeakCheck;
import yunjing.proxy.testing.Nodes;
import yunjing.proxy.testing.TestCertificate;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starting and stopping a node: addresses, bind and certificate errors, idempotent close, config checks. */
@ExtendWith(LeakCheck.class)
class ProxyServerStartTest {

    @TempDir
    static Path dir;

    private static EventLoops loops;
    private static TestCertificate certificate;

    @BeforeAll
    static void start() throws Exception {
        loops = EventLoops.create(1, "start-test");
        certificate = TestCertificate.create(dir);
    }

    @AfterAll
    static void stop() {
        loops.close();
    }

    @Test
    void start_portZero_reportsBoundAddresses_andCloseIsIdempotentAndFreesThePort() throws Exception {
        ProxyServer proxy = ProxyServer.start(tlsConfig(Nodes.ephemeral(), Nodes.ephemeral()), loops, new SimpleMeterRegistry());
        InetSocketAddress http = proxy.httpAddress();
        assertTrue(http.getPort() > 0);
        assertNotNull(proxy.httpsAddress());
        proxy.close();
        proxy.close();
        assertFalse(proxy.isReady());
        try (ServerSocket again = new ServerSocket(http.getPort(), 1, http.getAddress())) {
            assertEquals(http.getPort(), again.getLocalPort(), "the listener released its port");
        }
    }

    @Test
    void start_withoutHttps_hasNoHttpsAddress() throws Exception {
        try (ProxyServer proxy = ProxyServer.start(Nodes.config("bj-mobile", "edge", List.of()), loops, new SimpleMeterRegistry())) {
            assertNull(proxy.httpsAddress());
            assertFalse(proxy.isReady(), "no parents, never ready");
        }
    }

    @Test
    void start_portInUse_throwsBindExceptionNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            ProxyConfig config = new ProxyConfig("gz-unicom", "edge", address, null, null, null, List.of(),
                    Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
            BindException e = assertThrows(BindException.class, () -> ProxyServer.start(config, loops, new SimpleMeterRegistry()));
            assertTrue(e.getMessage().contains(String.valueOf(address.getPort())), e.getMessage());
        }
    }

    @Test
    void start_httpsPortInUse_throwsBindException_andReleasesTheHttpPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            BindException e = assertThrows(BindException.class,
                    () -> ProxyServer.start(tlsConfig(Nodes.ephemeral(), address), loops, new SimpleMeterRegistry()));
            assertTrue(e.getMessage().contains("httpsBind"), e.getMessage());
        }
    }

    @Test
    void start_garbageCertificate_throwsIOExceptionNamingTheFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("garbage-chain.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        ProxyConfig config = new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(), Nodes.ephemeral(), bad,
                certificate.privateKey, List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
        IOException e = assertThrows(IOException.class, () -> ProxyServer.start(config, loops, new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    @Test
    void start_missingOrWrongKey_throwsIOExceptionNamingTheFile() throws Exception {
        Path missing = dir.resolve("no-such-key.pem");
        IOException e1 = assertThrows(IOException.class, () -> ProxyServer.start(
                tlsConfig(certificate.certChain, missing), loops, new SimpleMeterRegistry()));
        assertTrue(e1.getMessage().contains(missing.toString()), e1.getMessage());

        Path other = Files.createDirectories(dir.resolve("other"));
        TestCertificate otherCertificate = TestCertificate.create(other);
        IOException e2 = assertThrows(IOException.class, () -> ProxyServer.start(
                tlsConfig(certificate.certChain, otherCertificate.privateKey), loops, new SimpleMeterRegistry()));
        assertTrue(e2.getMessage().contains(otherCertificate.privateKey.toString()), e2.getMessage());
        assertTrue(e2.getMessage().contains("does not belong"), e2.getMessage());
    }

    @Test
    void config_rejectsBadValuesWithHelpfulMessages() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ProxyConfig("gz unicom", "edge", Nodes.ephemeral(),
                null, null, null, List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL));
        assertTrue(e.getMessage().startsWith("nodeId"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ProxyConfig("gz-unicom", "origin", Nodes.ephemeral(),
                null, null, null, List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL));
        assertTrue(e.getMessage().startsWith("tier"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(),
                Nodes.ephemeral(), null, null, List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL));
        assertTrue(e.getMessage().contains("tlsCertChain"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ProxyConfig("gz-unicom", "edge", Nodes.ephemeral(),
                null, null, null, List.of(), Duration.ZERO, Nodes.HEALTH_INTERVAL));
        assertTrue(e.getMessage().startsWith("connectTimeout"), e.getMessage());
    }

    private static ProxyConfig tlsConfig(InetSocketAddress http, InetSocketAddress https) {
        return new ProxyConfig("sh-telecom", "edge", http, https, certificate.certChain, certificate.privateKey,
                List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
    }

    private static ProxyConfig tlsConfig(Path chain, Path key) {
        return new ProxyConfig("sh-telecom", "edge", Nodes.ephemeral(), Nodes.ephemeral(), chain, key,
                List.of(), Nodes.CONNECT_TIMEOUT, Nodes.HEALTH_INTERVAL);
    }
}
