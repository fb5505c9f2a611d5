package yunjing.dns.steer;

import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One steering decision to make.
 *
 * @param name   the steered name being answered (after any CNAME inside the zone)
 * @param type   {@link Type#A} or {@link Type#AAAA}
 * @param source the address the query came from: the client's recursive resolver, not the client
 * @param query  the whole query, so later policies can read EDNS Client Subnet (RFC 7871) from its OPT
 */
public record SteeringQuery(Name name, int type, InetSocketAddress source, Message query) {

    public SteeringQuery {
        Objects.requireNonNull(name, "name");
        if (type != Type.A && type != Type.AAAA) {
            throw new IllegalArgumentException("type: " + Type.string(type) + " (expected: A or AAAA)");
        }
    }
}
