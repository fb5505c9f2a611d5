package yunjing.deploy.run;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import yunjing.deploy.topology.Topology;
import yunjing.sync.serve.ArtifactService;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which requests on the origin's HTTP port belong to the artifact store rather than the chat API:
 * every request for the topology's {@code models} service name (e.g. {@code models.mirror.test},
 * so {@code HF_ENDPOINT=http://models.mirror.test:8080} reaches it whatever the path), and on any
 * host the artifact paths ({@code /api/models/…}, {@code /{org}/{repo}/resolve/…},
 * {@code /api/sync/…}), which the chat API never uses.
 */
final class ArtifactRouting implements Predicate<HttpRequest> {

    private final String modelsHost;

    private ArtifactRouting(String modelsHost) {
        this.modelsHost = modelsHost;
    }

    static ArtifactRouting of(Topology topology) {
        String name = topology.services().get("models");
        return new ArtifactRouting(name == null ? null : normalise(name));
    }

    @Override
    public boolean test(HttpRequest request) {
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (modelsHost != null && host != null && normalise(stripPort(host)).equals(modelsHost)) {
            return true;
        }
        return ArtifactService.isArtifactRequest(request);
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close > 0 ? host.substring(0, close + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon > 0 ? host.substring(0, colon) : host;
    }

    private static String normalise(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
