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
 */
public record RunOptions(PortMode ports, Duration healthInterval, GeoData geo, Path linesFile) {

    public static RunOptions of(PortMode ports, Duration healthInterval) {
        return new RunOptions(ports, healthInterval, null, null);
    }

    public RunOptions withGeo(GeoData geo, Path linesFile) {
        return new RunOptions(ports, healthInterval, geo, linesFile);
    }
}
