package yunjing.dns.steer;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import yunjing.dns.locate.ClientSubnet;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One steering decision to make.
 *
 * @param name   the steered name being answered (after any CNAME inside the zone)
 * @param type   {@link Type#A} or {@link Type#AAAA}
 * @param source the address the query came from: the client's recursive resolver, not the client
 * @param query  the whole query when it was parsed into a {@link Message} (null on the wire layer's
 *               fast path, which reads only what steering needs)
 * @param ecs    the query's EDNS Client Subnet option (RFC 7871), or null
 */
public record SteeringQuery(Name name, int type, InetSocketAddress source, Message query, ClientSubnetOption ecs) {

    public SteeringQuery {
        Objects.requireNonNull(name, "name");
        if (type != Type.A && type != Type.AAAA) {
            throw new IllegalArgumentException("type: " + Type.string(type) + " (expected: A or AAAA)");
        }
    }

    /** From a parsed query: its ECS option is read from its OPT record. */
    public SteeringQuery(Name name, int type, InetSocketAddress source, Message query) {
        this(name, type, source, query, ClientSubnet.of(query));
    }
}
