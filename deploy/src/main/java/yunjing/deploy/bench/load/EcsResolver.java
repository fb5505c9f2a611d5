package yunjing.deploy.bench.load;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks the mirror's DNS which edge serves a client, the way a public resolver does for it: an A query
 * carrying the client's subnet as EDNS Client Subnet (RFC 7871).
 */
public final class EcsResolver {
    private final InetSocketAddress dns;

    public EcsResolver(InetSocketAddress dns) {
        this.dns = dns;
    }

    /** The A records for {@code name} as answered for clients in {@code subnet}/24; never empty. */
    public List<InetAddress> resolve(String name, InetAddress subnet) throws IOException {
        SimpleResolver resolver = new SimpleResolver(dns);
        resolver.setTimeout(Duration.ofSeconds(3));
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."),
                Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, subnet))), Section.ADDITIONAL);
        Message response = resolver.send(query);
        if (response.getRcode() != Rcode.NOERROR) {
            throw new IOException("DNS " + name + " for " + subnet.getHostAddress() + "/24: " + Rcode.string(response.getRcode()));
        }
        List<InetAddress> out = new ArrayList<>();
        for (Record r : response.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a) {
                out.add(a.getAddress());
            }
        }
        if (out.isEmpty()) {
            throw new IOException("DNS " + name + " for " + subnet.getHostAddress() + "/24: no A records");
        }
        return out;
    }
}
