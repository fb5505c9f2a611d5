package yunjing.deploy.bench.load;

import yunjing.deploy.bench.net.ClientPopulation;
import yunjing.deploy.bench.net.EmulatedNetwork;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one {@link LoadPlan} against both paths at the same time, one virtual thread per client: the
 * direct path (the origin over the clients' own cross-border link) and the mirror (the edge the DNS
 * names for the client's subnet, over the client's last-hop link, then the tiers).
 */
public final class LoadRunner {
    public static final String DIRECT = "direct";
    public static final String MIRROR = "mirror";

    private final EmulatedNetwork network;
    private final String model;
    private final String apiName;

    public LoadRunner(EmulatedNetwork network, String model, String apiName) {
        this.network = network;
        this.model = model;
        this.apiName = apiName;
    }

    /** Every request of the run; a client's requests are in order. */
    public LoadResult run(LoadPlan plan) throws IOException, InterruptedException {
        SSLContext tls = trust();
        EcsResolver resolver = new EcsResolver(network.dns());
        List<Callable<List<Sample>>> clients = new ArrayList<>();
        List<String> placements = new ArrayList<>();
        for (String path : List.of(DIRECT, MIRROR)) {
            for (int i = 0; i < plan.metadataClients(); i++) {
                Route route = route(path, i, resolver, tls, placements);
                boolean keepAlive = i % 2 == 1;
                clients.add(() -> {
                    try (ClientSession s = new ClientSession(route, keepAlive)) {
                        return new MetadataClient(model, EmulatedNetwork.BENCH_KEY).run(s, plan.metadataRequests());
                    }
                });
            }
            for (int i = 0; i < plan.agents(); i++) {
                Route route = route(path, i, resolver, tls, placements);
                boolean keepAlive = i % 2 == 1;
                long seed = plan.seed() * 1000 + i; // the same screenshots on both paths
                clients.add(() -> {
                    try (ClientSession s = new ClientSession(route, keepAlive)) {
                        return new AgentClient(model, EmulatedNetwork.BENCH_KEY, plan.maxTokens(), seed)
                                .run(s, plan.agentSteps());
                    }
                });
            }
        }
        long start = System.nanoTime();
        List<Sample> samples = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Sample>>> futures = new ArrayList<>();
            for (Callable<List<Sample>> c : clients) {
                futures.add(pool.submit(c));
            }
            for (Future<List<Sample>> f : futures) {
                samples.addAll(f.get());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("a load client failed outside a request: " + e.getCause(), e.getCause());
        }
        return new LoadResult(Collections.unmodifiableList(samples), System.nanoTime() - start,
                placements.stream().distinct().sorted().toList());
    }

    /** Client {@code i} of a path: the direct origin, or the edge its population's DNS answer names. */
    private Route route(String path, int i, EcsResolver resolver, SSLContext tls, List<String> placements)
            throws IOException {
        if (path.equals(DIRECT)) {
            return new Route(DIRECT, base("http", network.directOrigin()), null);
        }
        ClientPopulation population = ClientPopulation.ALL.get(i % ClientPopulation.ALL.size());
        InetAddress edge = resolver.resolve(apiName, InetAddress.getByName(population.subnet())).get(0);
        placements.add(population.name() + " -> " + edge.getHostAddress());
        return new Route(MIRROR, base("https", network.clientEntry(edge)), tls);
    }

    private static URI base(String scheme, InetSocketAddress address) {
        return URI.create(scheme + "://" + address.getAddress().getHostAddress() + ":" + address.getPort() + "/");
    }

    private SSLContext trust() throws IOException {
        try (InputStream in = Files.newInputStream(network.caPem())) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("yunjing-local-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the local CA " + network.caPem() + ": " + e.getMessage(), e);
        }
    }
}
