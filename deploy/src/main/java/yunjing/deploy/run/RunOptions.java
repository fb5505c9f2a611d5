package yunjing.deploy.run;

import yunjing.deploy.geo.GeoData;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to run the roles of a topology in this process.
 *
 * @param ports          the topology's ports, or ephemeral ones
 * @param healthInterval active /readyz probe interval of proxies and DNS
 * @param geo            GeoIP/ASN data for the DNS locator, or null to steer by health only
 * @param linesFile      operator CIDR lines for the DNS locator, or null
 * @param accessLogs     whether proxies write their JSON access logs (where the topology says, by default
 *                       {@code <state>/logs/<node>.access.jsonl}); false: none at all
 */
public record RunOptions(PortMode ports, Duration healthInterval, GeoData geo, Path linesFile, boolean accessLogs) {

    public static RunOptions of(PortMode ports, Duration healthInterval) {
        return new RunOptions(ports, healthInterval, null, null, true);
    }

    public RunOptions withGeo(GeoData geo, Path linesFile) {
        return new RunOptions(ports, healthInterval, geo, linesFile, accessLogs);
    }

    public RunOptions withAccessLogs(boolean on) {
        return new RunOptions(ports, healthInterval, geo, linesFile, on);
    }
}
