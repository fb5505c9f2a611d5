package yunjing.deploy.bench.net;

import java.util.List;

/**
 * Where the emulated clients are: three carrier networks, each sending its DNS queries with its own
 * EDNS Client Subnet. The operator lines file places them, as an operator would for networks whose
 * GeoIP data is wrong or missing.
 *
 * @param subnet the client subnet sent as ECS (RFC 7871), /24
 * @param carrier the carrier the lines file assigns
 * @param province where the lines file places it
 */
public record ClientPopulation(String name, String subnet, String carrier, String province) {

    public static final List<ClientPopulation> ALL = List.of(
            new ClientPopulation("shanghai-telecom", "202.96.209.0", "telecom", "SH"),
            new ClientPopulation("guangdong-unicom", "221.4.66.0", "unicom", "GD"),
            new ClientPopulation("beijing-mobile", "111.13.100.0", "mobile", "BJ"));

    /** {@code CIDR CARRIER PROVINCE} lines (see dns/README.md, operator lines). */
    static String linesFile() {
        StringBuilder sb = new StringBuilder("# benchmark client populations\n");
        for (ClientPopulation p : ALL) {
            sb.append(p.subnet()).append("/24 ").append(p.carrier()).append(' ').append(p.province()).append('\n');
        }
        return sb.toString();
    }
}
