package yunjing.deploy.cli;

import picocli.CommandLine.Option;
import yunjing.deploy.geo.GeoData;
import yunjing.deploy.run.RunOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --geo-dir} and {@code --lines}: what the DNS locates clients with. */
final class GeoOptions {

    @Option(names = "--geo-dir", paramLabel = "DIR",
            description = "GeoIP data from 'yunjing geo fetch DIR': the DNS then steers by carrier and province "
                    + "(default: $YUNJING_GEO_DIR if set; without data it steers by health only).")
    Path geoDir;

    @Option(names = "--lines", paramLabel = "FILE", description = "Operator lines file: CIDR → carrier/province/node overrides.")
    Path lines;

    RunOptions applyTo(RunOptions options) {
        Path dir = geoDir;
        if (dir == null && System.getenv("YUNJING_GEO_DIR") != null && !System.getenv("YUNJING_GEO_DIR").isBlank()) {
            dir = Path.of(System.getenv("YUNJING_GEO_DIR"));
        }
        if (lines != null && !Files.isRegularFile(lines)) {
            throw CliException.usage(lines + ": no such lines file", null);
        }
        if (dir == null) {
            return lines == null ? options : options.withGeo(null, lines);
        }
        GeoData data = new GeoData(dir);
        if (!data.hasAny()) {
            throw CliException.usage(dir + ": no GeoLite2-City.mmdb or asn.csv (run: yunjing geo fetch " + dir + ")", null);
        }
        return options.withGeo(data, lines);
    }
}
