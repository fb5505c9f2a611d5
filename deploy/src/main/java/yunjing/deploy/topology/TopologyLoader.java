package yunjing.deploy.topology;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import yunjing.origin.ModelSpec.ImageParts;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a topology file into a validated {@link Topology}. Every error names the file and line
 * ({@code local.yaml:14: node 'gz-unicom': parent 'gz-regonal' does not exist}); cross-node rules
 * live in {@link TopologyValidator}.
 */
public final class TopologyLoader {

    /** Classpath location of the embedded default topology, {@code deploy/topology/local.yaml}. */
    public static final String EMBEDDED = "topology/local.yaml";

    private static final Pattern NODE_ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Every edge probes every target each round, one after another: keep a round short. */
    static final int MAX_PROBE_TARGETS = 256;
    private static final Set<String> TOP = Set.of("zone", "dns", "services", "defaults", "nodes", "plans", "keys", "key_files", "sync");
    private static final Set<String> NODE_FIELDS = Set.of("id", "tier", "address", "ports", "province", "carrier", "parents", "weight", "models", "access_log");
    private static final Set<String> PORT_FIELDS = Set.of("http", "https", "admin");
    private static final Set<String> MODEL_FIELDS = Set.of("name", "repo", "ref", "generate", "images");
    private static final Set<String> PLAN_FIELDS = Set.of("concurrent", "requests_per_minute", "requests_per_day",
            "tokens_per_minute", "priority", "answer_cache");
    private static final Set<String> SYNC_FIELDS = Set.of("replicas", "canary", "repos", "pins", "poll_ms", "auto_promote_s", "keep_revisions", "origin_keep_revisions",
            "public_key", "private_key", "concurrency", "limit_rate", "ntp", "max_clock_skew_s");
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Set<String> KEY_FIELDS = Set.of("id", "plan", "sha256", "tenant");

    private TopologyLoader() {
    }

    public static Topology load(Path file) throws TopologyException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TopologyException(file + ": no such file");
        } catch (IOException e) {
            throw new TopologyException(file + ": cannot read: " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(file.toString(), new StringReader(text), dir).withFile(file.toAbsolutePath());
    }

    public static Topology loadEmbedded() throws TopologyException {
        try (InputStream in = TopologyLoader.class.getClassLoader().getResourceAsStream(EMBEDDED)) {
            if (in == null) {
                throw new TopologyException(EMBEDDED + ": not found on the class path (broken build?)");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return parse("local.yaml", new StringReader(text), Path.of("").toAbsolutePath());
        } catch (IOException e) {
            throw new TopologyException(EMBEDDED + ": " + e.getMessage(), e);
        }
    }

    /** Parses topology text; {@code baseDir} resolves relative paths such as key files. */
    public static Topology parse(String fileName, Reader reader, Path baseDir) throws TopologyException {
        YamlMap root = new YamlMap(fileName, "", compose(fileName, reader));
        root.allowOnly(TOP);

        String zone = root.string("zone").toLowerCase(Locale.ROOT);
        if (!zone.endsWith(".")) {
            zone = zone + ".";
        }
        DnsSettings dns = dns(root.map("dns"));
        Map<String, String> services = services(root.map("services"), zone);

        Ports defaultPorts = new Ports(8080, 8443, 9090);
        int defaultWeight = 100;
        if (root.has("defaults")) {
            YamlMap defaults = root.map("defaults");
            defaults.allowOnly(Set.of("ports", "weight"));
            if (defaults.has("ports")) {
                defaultPorts = ports(defaults.map("ports"), defaultPorts);
            }
            defaultWeight = defaults.integer("weight", defaultWeight, 1, 1_000_000);
        }

        List<Node> nodes = new ArrayList<>();
        for (YamlMap n : root.maps("nodes")) {
            nodes.add(node(n, defaultPorts, defaultWeight));
        }
        if (nodes.isEmpty()) {
            throw root.error("nodes", "'nodes' must list at least one node");
        }

        Map<String, Plan> plans = new LinkedHashMap<>();
        for (Map.Entry<String, YamlMap> e : root.namedMaps("plans").entrySet()) {
            plans.put(e.getKey(), plan(e.getKey(), e.getValue()));
        }
        List<ApiKey> keys = new ArrayList<>();
        keys.addAll(keys(root, plans));
        List<Path> keyFiles = new ArrayList<>();
        for (String keyFile : root.strings("key_files")) {
            keyFiles.add(baseDir.resolve(keyFile).toAbsolutePath());
            keys.addAll(keyFile(keyFiles.get(keyFiles.size() - 1), plans));
        }

        SyncSettings sync = root.has("sync") ? sync(root.map("sync"), baseDir) : SyncSettings.NONE;
        Topology topology = new Topology(fileName, zone, dns, services, nodes, plans, keys, baseDir, null, keyFiles, sync);
        TopologyValidator.validate(fileName, topology);
        return topology;
    }

    private static org.yaml.snakeyaml.nodes.Node compose(String fileName, Reader reader) throws TopologyException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        try {
            org.yaml.snakeyaml.nodes.Node node = new Yaml(options).compose(reader);
            if (node == null) {
                throw new TopologyException(fileName + ":1: the file is empty");
            }
            return node;
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            throw new TopologyException(fileName + ":" + line + ": YAML syntax: " + e.getProblem());
        } catch (YAMLException e) {
            throw new TopologyException(fileName + ": YAML: " + e.getMessage());
        }
    }

    private static DnsSettings dns(YamlMap dns) throws TopologyException {
        dns.allowOnly(Set.of("listen", "admin", "ttl", "max_answers", "rtt_probes", "udp_threads"));
        return new DnsSettings(socket(dns, "listen"), socket(dns, "admin"),
                dns.integer("ttl", 30, 1, 86_400), dns.integer("max_answers", 2, 1, 16),
                dns.has("rtt_probes") ? rttProbes(dns.map("rtt_probes")) : RttProbes.NONE,
                dns.integer("udp_threads", 0, 0, 64));
    }

    /** {@code dns.rtt_probes}: {@code interval} (s), {@code timeout_ms}, {@code targets} (address:port). */
    private static RttProbes rttProbes(YamlMap probes) throws TopologyException {
        probes.allowOnly(Set.of("interval", "timeout_ms", "targets"));
        List<InetSocketAddress> targets = new ArrayList<>();
        List<String> texts = probes.has("targets") ? probes.strings("targets") : List.of();
        if (texts.size() > MAX_PROBE_TARGETS) {
            throw probes.error("targets", "rtt_probes: at most " + MAX_PROBE_TARGETS + " targets (got " + texts.size() + ")");
        }
        for (String text : texts) {
            InetSocketAddress target = socketOf(probes, "targets", text);
            if (target.getPort() == 0) {
                throw probes.error("targets", "rtt_probes target '" + text + "' needs a port that accepts TCP connections");
            }
            targets.add(target);
        }
        return new RttProbes(Duration.ofSeconds(probes.integer("interval", 30, 5, 3600)),
                Duration.ofMillis(probes.integer("timeout_ms", 1000, 10, 10_000)), targets);
    }

    private static Map<String, String> services(YamlMap services, String zone) throws TopologyException {
        Map<String, String> result = new LinkedHashMap<>();
        for (String key : services.keys()) {
            String name = services.string(key).toLowerCase(Locale.ROOT);
            String fqdn = name.endsWith(".") ? name : name + ".";
            if (!fqdn.endsWith("." + zone)) {
                throw services.error(key, "service '" + key + "': name '" + name + "' is not inside zone '" + zone + "'");
            }
            result.put(key, name);
        }
        if (!result.containsKey("api")) {
            throw services.error("missing required field 'api' in services");
        }
        return result;
    }

    private static Node node(YamlMap n, Ports defaultPorts, int defaultWeight) throws TopologyException {
        n.allowOnly(NODE_FIELDS);
        String id = n.string("id");
        if (!NODE_ID.matcher(id).matches()) {
            throw n.error("id", "node id '" + id + "' must be lower-case letters, digits and '-' (a DNS label)");
        }
        String where = "node '" + id + "': ";
        Tier tier = enumValue(n, "tier", Tier.class, where);
        InetAddress address = ipLiteral(n, "address", where);
        Ports ports = n.has("ports") ? ports(n.map("ports"), defaultPorts) : defaultPorts;
        String province = n.string("province").toUpperCase(Locale.ROOT);
        if (!Provinces.isValid(province)) {
            throw n.error("province", where + "province '" + province
                    + "' is not an ISO 3166-2:CN code (e.g. BJ, SH, GD; see README)");
        }
        Carrier carrier = n.has("carrier") ? enumValue(n, "carrier", Carrier.class, where) : null;
        List<ModelRef> models = new ArrayList<>();
        for (YamlMap m : n.maps("models")) {
            models.add(model(m, where));
        }
        String accessLog = n.string("access_log", null);
        if (accessLog != null && tier == Tier.ORIGIN) {
            throw n.error("access_log", where + "access_log is for proxy nodes (edge, regional, central); an origin writes none");
        }
        return new Node(id, tier, address, ports, province, carrier, n.strings("parents"),
                n.integer("weight", defaultWeight, 1, 1_000_000), models, n.line(), accessLog);
    }

    private static ModelRef model(YamlMap m, String where) throws TopologyException {
        m.allowOnly(MODEL_FIELDS);
        String repo = m.string("repo");
        if (!repo.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw m.error("repo", where + "model repo '" + repo + "' must look like owner/name");
        }
        Long seed = null;
        if (m.has("generate")) {
            YamlMap gen = m.map("generate");
            gen.allowOnly(Set.of("seed"));
            seed = (long) gen.integer("seed", 42, 0, Integer.MAX_VALUE);
        }
        ImageParts images = m.has("images") ? enumValue(m, "images", ImageParts.class, where) : ImageParts.REFUSE;
        return new ModelRef(m.string("name"), repo, m.string("ref", "main"), seed, images);
    }

    private static SyncSettings sync(YamlMap s, Path baseDir) throws TopologyException {
        s.allowOnly(SYNC_FIELDS);
        List<String> repos = s.strings("repos");
        for (String repo : repos) {
            if (!REPO.matcher(repo).matches() || repo.contains("..")) {
                throw s.error("repos", "sync: repo '" + repo + "' must look like owner/name");
            }
        }
        Map<String, Map<String, String>> pins = new LinkedHashMap<>();
        for (Map.Entry<String, YamlMap> node : s.namedMaps("pins").entrySet()) {
            Map<String, String> byRepo = new LinkedHashMap<>();
            for (String repo : node.getValue().keys()) {
                if (!REPO.matcher(repo).matches() || repo.contains("..")) {
                    throw node.getValue().error(repo, "sync: pins: " + node.getKey() + ": repo '" + repo
                            + "' must look like owner/name");
                }
                byRepo.put(repo, node.getValue().string(repo));
            }
            pins.put(node.getKey(), byRepo);
        }
        Path privateKey = s.has("private_key") ? baseDir.resolve(s.string("private_key")).toAbsolutePath() : null;
        return new SyncSettings(s.strings("replicas"), s.strings("canary"), repos, pins,
                java.time.Duration.ofMillis(s.integer("poll_ms", 2000, 50, 3_600_000)),
                s.has("public_key") ? s.string("public_key") : null, privateKey, syncAgent(s), s.line(),
                java.time.Duration.ofSeconds(s.integer("auto_promote_s", 0, 0, 604_800)),
                s.integer("origin_keep_revisions", 0, 0, 10_000));
    }

    private static SyncSettings.Agent syncAgent(YamlMap s) throws TopologyException {
        SyncSettings.Agent d = SyncSettings.Agent.DEFAULT;
        long bytesPerSecond = d.bytesPerSecond();
        if (s.has("limit_rate")) {
            try {
                bytesPerSecond = yunjing.sync.agent.RateLimiter.parse(s.string("limit_rate"));
            } catch (IllegalArgumentException e) {
                throw s.error("limit_rate", "sync: limit_rate: " + e.getMessage());
            }
        }
        String ntp = s.has("ntp") ? s.string("ntp") : null;
        if (ntp != null && !ntp.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*")) {
            throw s.error("ntp", "sync: ntp: '" + ntp + "' must be HOST, HOST:PORT or an IPv6 address (port 123)");
        }
        return new SyncSettings.Agent(s.integer("concurrency", d.concurrency(), 1, 64), bytesPerSecond, ntp,
                java.time.Duration.ofSeconds(s.integer("max_clock_skew_s", (int) d.maxClockSkew().toSeconds(), 1, 86_400)),
                s.integer("keep_revisions", d.keepRevisions(), 0, 10_000));
    }

    private static Ports ports(YamlMap p, Ports defaults) throws TopologyException {
        p.allowOnly(PORT_FIELDS);
        return new Ports(p.integer("http", defaults.http(), 0, 65_535),
                p.integer("https", defaults.https(), 0, 65_535),
                p.integer("admin", defaults.admin(), 0, 65_535));
    }

    private static Plan plan(String name, YamlMap p) throws TopologyException {
        p.allowOnly(PLAN_FIELDS);
        return new Plan(name, p.integer("concurrent", 5, 1, 1_000_000),
                p.integer("requests_per_minute", 60, 1, Integer.MAX_VALUE),
                p.integer("requests_per_day", 1000, 1, Integer.MAX_VALUE),
                p.integer("tokens_per_minute", 40_000, 0, Integer.MAX_VALUE),
                p.integer("priority", 0, 0, 100),
                p.bool("answer_cache", false));
    }

    private static List<ApiKey> keys(YamlMap holder, Map<String, Plan> plans) throws TopologyException {
        List<ApiKey> keys = new ArrayList<>();
        for (YamlMap k : holder.maps("keys")) {
            k.allowOnly(KEY_FIELDS);
            String id = k.string("id");
            String plan = k.string("plan");
            if (!plans.containsKey(plan)) {
                throw k.error("plan", "key '" + id + "': plan '" + plan + "' does not exist");
            }
            String sha = k.string("sha256").toLowerCase(Locale.ROOT);
            if (!SHA256.matcher(sha).matches()) {
                throw k.error("sha256", "key '" + id + "': sha256 must be 64 hex digits (the hash of the key, never the key)");
            }
            keys.add(new ApiKey(id, plan, sha, k.string("tenant", id)));
        }
        return keys;
    }

    private static List<ApiKey> keyFile(Path file, Map<String, Plan> plans) throws TopologyException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            YamlMap root = new YamlMap(file.toString(), "", compose(file.toString(), reader));
            root.allowOnly(Set.of("keys"));
            return keys(root, plans);
        } catch (NoSuchFileException e) {
            throw new TopologyException(file + ": key file does not exist");
        } catch (IOException e) {
            throw new TopologyException(file + ": cannot read key file: " + e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E enumValue(YamlMap map, String key, Class<E> type, String where)
            throws TopologyException {
        String text = map.string(key);
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                allowed.add(constant.name().toLowerCase(Locale.ROOT));
            }
            throw map.error(key, where + key + " '" + text + "' is not one of " + String.join(", ", allowed));
        }
    }

    private static InetAddress ipLiteral(YamlMap map, String key, String where) throws TopologyException {
        String text = map.string(key);
        // Only literals: a host name here would make start-up depend on a resolver.
        if (!text.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw map.error(key, where + key + " '" + text + "' must be an IPv4 or IPv6 literal");
        }
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw map.error(key, where + key + " '" + text + "' is not a valid IP address");
        }
    }

    private static InetSocketAddress socket(YamlMap map, String key) throws TopologyException {
        return socketOf(map, key, map.string(key));
    }

    /** {@code text}, the value (or an element of the list) at {@code key}, as address:port. */
    private static InetSocketAddress socketOf(YamlMap map, String key, String text) throws TopologyException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw map.error(key, key + " '" + text + "' must be address:port, e.g. 127.0.0.1:5353");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw map.error(key, key + " '" + text + "': port is not a number");
        }
        if (port < 0 || port > 65_535 || !host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw map.error(key, key + " '" + text + "' must be an IP literal and a port 0..65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw map.error(key, key + " '" + text + "': invalid address");
        }
    }
}
