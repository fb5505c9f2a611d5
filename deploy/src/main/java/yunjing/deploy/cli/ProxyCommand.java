package yunjing.deploy.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import yunjing.common.net.EventLoops;
import yunjing.proxy.ApiAccess;
import yunjing.proxy.CacheConfig;
import yunjing.proxy.ParentConfig;
import yunjing.proxy.ProxyConfig;
import yunjing.proxy.ProxyServer;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code yunjing proxy --listen ADDR:PORT --parent ADDR:PORT --parent-readyz URL}: one standalone
 * caching reverse proxy (an edge node without the topology, admin port, DNS or TLS) in front of any
 * HTTP/1.1 origin. It forwards what it cannot answer from its cache to the parent while the parent's
 * readiness URL answers 2xx (the same active health check the nodes use), prints one line with the
 * bound address and runs until SIGTERM or Ctrl-C. Used by {@code deploy/bench/proxy-cache-bench.sh}.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run one caching reverse proxy (edge tier, no TLS, no API keys) in front of an HTTP origin "
                + "until SIGTERM/Ctrl-C.")
final class ProxyCommand implements Callable<Integer> {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration HEALTH_INTERVAL = Duration.ofSeconds(5);

    @Option(names = "--listen", required = true, paramLabel = "ADDR:PORT",
            description = "Address to listen on for HTTP/1.1 and h2c, e.g. 127.0.0.1:8080 (port 0: any free port).")
    String listen;

    @Option(names = "--parent", required = true, paramLabel = "ADDR:PORT",
            description = "The origin (or parent node) requests are forwarded to, e.g. 127.0.0.1:8081.")
    String parent;

    @Option(names = "--parent-readyz", required = true, paramLabel = "URL",
            description = "URL probed every 5 s; the parent is used only while it answers 2xx, "
                    + "e.g. http://127.0.0.1:8081/readyz.")
    String parentReadyz;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Directory of the disk cache tier (default: memory only).")
    Path cacheDir;

    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Append one JSON line per request to FILE (default: no access log).")
    Path accessLog;

    @Option(names = "--id", paramLabel = "NAME", defaultValue = "proxy",
            description = "Node id in Via and Cache-Status (a token; default: ${DEFAULT-VALUE}).")
    String id;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        InetSocketAddress bind = address("--listen", listen, true);
        InetSocketAddress parentAddress = address("--parent", parent, false);
        URI readyz;
        try {
            readyz = new URI(parentReadyz.strip());
        } catch (URISyntaxException e) {
            throw CliException.usage("--parent-readyz: " + parentReadyz + " is not a URL (" + e.getReason() + ")", e);
        }
        if (readyz.getHost() == null) {
            throw CliException.usage("--parent-readyz: " + parentReadyz
                    + " (expected: an http URL, e.g. http://127.0.0.1:8081/readyz)", null);
        }
        ProxyConfig config;
        try {
            config = new ProxyConfig(id, "edge", bind, null, null, null,
                    List.of(new ParentConfig("origin", parentAddress, readyz)), CONNECT_TIMEOUT, HEALTH_INTERVAL,
                    cacheDir == null ? CacheConfig.memoryOnly() : CacheConfig.withDisk(cacheDir),
                    ProxyConfig.DEFAULT_CLIENT_IDLE_TIMEOUT, ApiAccess.OPEN).withAccessLog(accessLog);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage(), e);
        }

        EventLoops loops = EventLoops.create(0, "yunjing-io");
        ProxyServer server;
        try {
            server = ProxyServer.start(config, loops, new SimpleMeterRegistry());
        } catch (BindException e) {
            loops.close();
            throw CliException.usage("--listen " + listen + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            loops.close();
            throw CliException.usage("cannot start the proxy: " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            loops.close();
            stopped.countDown();
        }, "yunjing-proxy-shutdown"));
        spec.commandLine().getOut().println("yunjing proxy: " + id + " listening on http://"
                + hostPort(server.httpAddress()) + " (" + loops.transport() + "), parent http://"
                + hostPort(parentAddress) + " (readyz " + readyz + "), cache "
                + (cacheDir == null ? "memory" : "memory + " + cacheDir));
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** {@code host:port} or {@code [v6]:port}; port 0 only when {@code portZeroAllowed}. */
    static InetSocketAddress address(String option, String value, boolean portZeroAllowed) {
        String text = value.strip();
        int colon = text.lastIndexOf(':');
        String expected = " (expected: ADDR:PORT, e.g. 127.0.0.1:8080)";
        if (colon <= 0 || colon == text.length() - 1) {
            throw CliException.usage(option + ": " + value + expected, null);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw CliException.usage(option + ": " + value + " (an IPv6 address goes in brackets: [::1]:8080)", null);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw CliException.usage(option + ": " + value + expected, e);
        }
        if (port < (portZeroAllowed ? 0 : 1) || port > 65535) {
            throw CliException.usage(option + ": port " + port + " (expected: " + (portZeroAllowed ? 0 : 1)
                    + "-65535)", null);
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw CliException.usage(option + ": cannot resolve host '" + host + "'", null);
        }
        return address;
    }
}
