package yunjing.dns.testing;

import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Malformed and random DNS packets from a seeded {@link Random}, so a failure is reproducible from
 * the seed: pure noise, a valid header with a random body, and valid queries (plain, EDNS, ECS,
 * odd types and classes) mutated by bit flips, truncation, byte overwrites or count inflation.
 */
public final class PacketFuzzer {

    private static final List<String> NAMES = List.of("api.mirror.test.", "models.mirror.test.", "www.mirror.test.",
            "big.mirror.test.", "mirror.test.", "nope.mirror.test.", "example.com.", "loop1.mirror.test.",
            "deep.ent.mirror.test.", "ent.mirror.test.", "ns1.mirror.test.");
    private static final int[] TYPES = {Type.A, Type.AAAA, Type.ANY, Type.TXT, Type.SOA, Type.NS, Type.CNAME, Type.MX,
        Type.CAA, Type.AXFR, Type.IXFR, Type.HTTPS, 0, 65535, 4242};

    private final Random random;

    public PacketFuzzer(long seed) {
        this.random = new Random(seed);
    }

    /** A well-formed query for a random name and type, sometimes with EDNS and ECS. */
    public byte[] validQuery() {
        try {
            Name name = Name.fromString(NAMES.get(random.nextInt(NAMES.size())));
            int type = TYPES[random.nextInt(TYPES.length)];
            Message q = Message.newQuery(Record.newRecord(name, type, random.nextInt(10) == 0 ? DClass.CH : DClass.IN));
            q.getHeader().setID(random.nextInt(0x10000));
            switch (random.nextInt(3)) {
                case 0 -> { }
                case 1 -> q.addRecord(new OPTRecord(512 + random.nextInt(4096), 0, 0, 0), Section.ADDITIONAL);
                default -> {
                    byte[] a = new byte[4];
                    random.nextBytes(a);
                    int prefix = random.nextInt(33);
                    ClientSubnetOption ecs = new ClientSubnetOption(prefix,
                            org.xbill.DNS.Address.truncate(InetAddress.getByAddress(a), prefix));
                    q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(ecs)), Section.ADDITIONAL);
                }
            }
            return q.toWire();
        } catch (UnknownHostException | org.xbill.DNS.TextParseException e) {
            throw new AssertionError(e);
        }
    }

    /** One malformed or random packet. */
    public byte[] next() {
        return switch (random.nextInt(6)) {
            case 0 -> noise(random.nextInt(600));
            case 1 -> {
                byte[] p = noise(12 + random.nextInt(300));
                p[2] &= 0x7F; // QR clear: looks like a query
                p[4] = 0;
                p[5] = 1; // QDCOUNT 1
                yield p;
            }
            case 2 -> flipBits(validQuery(), 1 + random.nextInt(8));
            case 3 -> {
                byte[] q = validQuery();
                yield Arrays.copyOf(q, random.nextInt(q.length));
            }
            case 4 -> {
                byte[] q = validQuery();
                int at = random.nextInt(q.length);
                q[at] = (byte) random.nextInt(256);
                if (random.nextBoolean() && q.length > 11) {
                    q[4 + 2 * random.nextInt(4)] = (byte) random.nextInt(256); // inflate a section count
                }
                yield q;
            }
            default -> {
                byte[] q = validQuery();
                byte[] tail = noise(random.nextInt(64));
                byte[] out = Arrays.copyOf(q, q.length + tail.length);
                System.arraycopy(tail, 0, out, q.length, tail.length);
                yield flipBits(out, random.nextInt(3));
            }
        };
    }

    private byte[] noise(int length) {
        byte[] p = new byte[length];
        random.nextBytes(p);
        return p;
    }

    private byte[] flipBits(byte[] p, int flips) {
        for (int i = 0; i < flips && p.length > 0; i++) {
            int bit = random.nextInt(p.length * 8);
            p[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return p;
    }
}
