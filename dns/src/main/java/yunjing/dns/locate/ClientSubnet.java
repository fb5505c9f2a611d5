package yunjing.dns.locate;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * EDNS Client Subnet (RFC 7871) on the query side. dnsjava already rejects a malformed option
 * while parsing the message (bad family, prefix longer than the address, address bits set past
 * the prefix), so such a query gets FORMERR as section 7.1.1 asks before it gets here.
 */
public final class ClientSubnet {

    private ClientSubnet() {
    }

    /** The query's ECS option, or null. */
    public static ClientSubnetOption of(Message query) {
        OPTRecord opt = query == null ? null : query.getOPT();
        return opt == null ? null : of(opt);
    }

    public static ClientSubnetOption of(OPTRecord opt) {
        for (EDNSOption o : opt.getOptions(EDNSOption.Code.CLIENT_SUBNET)) {
            if (o instanceof ClientSubnetOption ecs) {
                return ecs;
            }
        }
        return null;
    }

    /**
     * The address to locate: the ECS address when the resolver sent one with a source prefix
     * above 0, else the packet's source. A source prefix of 0 means the client opted out of
     * ECS (RFC 7871 section 7.1.2), so only the resolver's own address is left.
     */
    public static InetAddress clientAddress(ClientSubnetOption ecs, InetSocketAddress source) {
        if (ecs != null && ecs.getSourcePrefixLength() > 0) {
            return ecs.getAddress();
        }
        return source == null ? null : source.getAddress();
    }
}
