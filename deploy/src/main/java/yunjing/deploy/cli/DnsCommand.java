package yunjing.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import yunjing.deploy.geo.GeoData;
import yunjing.dns.locate.ClientLocator;
import yunjing.dns.locate.Explanation;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/** {@code yunjing dns explain IP}: how the DNS locates a client, source by source. */
@Command(name = "dns", mixinStandardHelpOptions = true, description = "Inspect the smart DNS.",
        subcommands = DnsCommand.Explain.class)
final class DnsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: explain");
    }

    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = "Print every source the client locator consults for IP (operator lines, GeoIP City, "
                    + "ASN, carrier table, province from ASN) and which one decided.")
    static final class Explain implements Runnable {
        @Parameters(paramLabel = "IP", description = "Client address (IPv4 or IPv6 literal).")
        String ip;

        @Option(names = "--geo-dir", required = true, paramLabel = "DIR",
                description = "Directory from 'yunjing geo fetch' (GeoLite2-City.mmdb, asn.csv, optional lines.csv).")
        Path geoDir;

        @Option(names = "--lines", paramLabel = "FILE", description = "Operator lines file (CIDR overrides).")
        Path lines;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw CliException.usage("IP '" + ip + "' is not an IPv4 or IPv6 literal", null);
            }
            GeoData data = new GeoData(geoDir);
            if (!data.hasAny() && lines == null) {
                throw CliException.usage(geoDir + ": no GeoLite2-City.mmdb or asn.csv (run: yunjing geo fetch "
                        + geoDir + ")", null);
            }
            try (ClientLocator locator = ClientLocator.open(data.locatorConfig(lines))) {
                Explanation explanation = locator.explain(InetAddress.getByName(ip));
                PrintWriter out = spec.commandLine().getOut();
                out.println(explanation);
            } catch (UnknownHostException e) {
                throw CliException.usage("IP '" + ip + "' is not a valid address", e);
            } catch (IOException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
    }
}
