package yunjing.dns.steer;

import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import yunjing.dns.locate.ClientSubnet;

import java.net.InetAddress;
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
 * @param client the address steering locates: the EDNS Client Subnet address (RFC 7871) when the
 *               query carries one with a source prefix, else the resolver's ({@code source}'s); null
 *               when neither is known
 */
public record SteeringQuery(Name name, int type, InetSocketAddress source, Message query, InetAddress client) {

    public SteeringQuery {
        Objects.requireNonNull(name, "name");
        if (type != Type.A && type != Type.AAAA) {
            throw new IllegalArgumentException("type: " + Type.string(type) + " (expected: A or AAAA)");
        }
    }

    /** From a parsed query: the client is its ECS address, read from its OPT record, or the resolver. */
    public SteeringQuery(Name name, int type, InetSocketAddress source, Message query) {
        this(name, type, source, query, ClientSubnet.clientAddress(ClientSubnet.of(query), source));
    }
}
