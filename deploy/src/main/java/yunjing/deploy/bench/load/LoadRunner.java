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
 * Runs one {@link LoadPlan} against both paths in the same run, one virtual thread per client: the
 * direct path (the origin over the clients' own cross-border link) and the mirror (the edge the DNS
 * names for the client's subnet, over the client's last-hop link, then the tiers).
 */
public final class LoadRunner {
    public static final String DIRECT = "direct";
    public static final String MIRROR = "mirror";

    private final EmulatedNetwork network;
    private final String model;
    private final String apiName;
    private final String repo;
    private final String hubName;

    /**
     * @param apiName the DNS name of the chat API, e.g. {@code api.mirror.test}
     * @param repo    the model's hub repository at the origin, e.g. {@code yunjing/tiny-llama}
     * @param hubName the DNS name hub clients use ({@code HF_ENDPOINT}), e.g. {@code models.mirror.test}
     */
    public LoadRunner(EmulatedNetwork network, String model, String apiName, String repo, String hubName) {
        this.network = network;
        this.model = model;
        this.apiName = apiName;
        this.repo = repo;
        this.hubName = hubName;
    }

    /**
     * Every request of the run, phase by phase: a warm-up that is not recorded (one agent step per path, so
     * the JIT has seen both paths; it leaves no cacheable response behind), then metadata on the direct path,
     * metadata through the mirror, artifact downloads direct, artifact downloads through the mirror, agent steps
     * direct, agent steps through the mirror. Each artifact phase follows an unrecorded warm-up download on its
     * path (through the mirror one per client population, so every edge the DNS hands out holds the files): the
     * artifact goal is about cached artifacts, and the first miss per edge is a one-off. Phases run one after
     * another so that one path's load (above all the origin's inference, which takes both cores) does not
     * queue the other's requests; within a phase the clients run at once.
     */
    public LoadResult run(LoadPlan plan) throws IOException, InterruptedException {
        SSLContext tls = trust();
        EcsResolver resolver = new EcsResolver(network.dns());
        List<String> placements = new ArrayList<>();
        runPhase(List.of(agents(DIRECT, 1, 1, plan, resolver, tls, placements).get(0),
                agents(MIRROR, 1, 1, plan, resolver, tls, placements).get(0)));
        placements.clear();
        long start = System.nanoTime();
        List<Sample> samples = new ArrayList<>();
        for (String path : List.of(DIRECT, MIRROR)) {
            List<Callable<List<Sample>>> clients = new ArrayList<>();
            for (int i = 0; i < plan.metadataClients(); i++) {
                Route route = route(path, i, apiName, resolver, tls, placements);
                boolean keepAlive = i % 2 == 1;
                clients.add(() -> {
                    try (ClientSession s = new ClientSession(route, keepAlive)) {
                        return new MetadataClient(model, EmulatedNetwork.BENCH_KEY).run(s, plan.metadataRequests());
                    }
                });
            }
            samples.addAll(runPhase(clients));
        }
        for (String path : List.of(DIRECT, MIRROR)) {
            if (plan.artifactClients() > 0) {
                int warmUps = path.equals(DIRECT) ? 1 : ClientPopulation.ALL.size();
                List<String> unreported = new ArrayList<>(); // the warm-up's placements are not the run's
                runPhase(downloaders(path, warmUps, 1, plan, resolver, tls, unreported));
                samples.addAll(runPhase(downloaders(path, plan.artifactClients(), plan.artifactDownloads(), plan,
                        resolver, tls, placements)));
            }
        }
        for (String path : List.of(DIRECT, MIRROR)) {
            samples.addAll(runPhase(agents(path, plan.agents(), plan.agentSteps(), plan, resolver, tls, placements)));
        }
        return new LoadResult(Collections.unmodifiableList(samples), System.nanoTime() - start,
                placements.stream().distinct().sorted().toList());
    }

    private List<Callable<List<Sample>>> agents(String path, int count, int steps, LoadPlan plan, EcsResolver resolver,
                                                SSLContext tls, List<String> placements) throws IOException {
        List<Callable<List<Sample>>> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Route route = route(path, i, apiName, resolver, tls, placements);
            boolean keepAlive = i % 2 == 1;
            long seed = plan.seed() * 1000 + i; // the same screenshots on both paths
            clients.add(() -> {
                try (ClientSession s = new ClientSession(route, keepAlive)) {
                    return new AgentClient(model, EmulatedNetwork.BENCH_KEY, plan.maxTokens(), seed).run(s, steps);
                }
            });
        }
        return clients;
    }

    private List<Callable<List<Sample>>> downloaders(String path, int count, int downloads, LoadPlan plan,
                                                     EcsResolver resolver, SSLContext tls, List<String> placements)
            throws IOException {
        List<Callable<List<Sample>>> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Route route = route(path, i, hubName, resolver, tls, placements);
            boolean keepAlive = i % 2 == 1;
            clients.add(() -> {
                try (ClientSession s = new ClientSession(route, keepAlive)) {
                    return new ArtifactClient(repo, plan.artifactPieceBytes()).run(s, downloads);
                }
            });
        }
        return clients;
    }

    /** Runs the clients at once, one virtual thread each, and returns their samples in client order. */
    private static List<Sample> runPhase(List<Callable<List<Sample>>> clients) throws InterruptedException {
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
        return samples;
    }

    /** Client {@code i} of a path: the direct origin, or the edge its population's DNS answer names. */
    private Route route(String path, int i, String name, EcsResolver resolver, SSLContext tls, List<String> placements)
            throws IOException {
        if (path.equals(DIRECT)) {
            return new Route(DIRECT, base("https", network.directOrigin()), tls);
        }
        ClientPopulation population = ClientPopulation.ALL.get(i % ClientPopulation.ALL.size());
        InetAddress edge = resolver.resolve(name, InetAddress.getByName(population.subnet())).get(0);
        placements.add(population.name() + " -> " + edge.getHostAddress() + (name.equals(apiName) ? "" : " (" + name + ")"));
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
