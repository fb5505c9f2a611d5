package yunjing.dns.locate;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Bit arithmetic on addresses as big-endian byte arrays (4 bytes IPv4, 16 bytes IPv6), so every
 * source works the same way for both families. Only arrays of the same length are ever compared.
 */
final class IpBits {

    private IpBits() {
    }

    /**
     * Parses an address literal without ever resolving a name: {@link InetAddress#getByName} would
     * send a DNS query for anything that is not a literal, so reject such text first.
     */
    static InetAddress parseLiteral(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'
                    || c == '.';
            if (!ok) {
                throw new IllegalArgumentException(text + " (expected: an IPv4 or IPv6 address literal)");
            }
        }
        if (text.indexOf(':') < 0 && text.chars().filter(c -> c == '.').count() != 3) {
            throw new IllegalArgumentException(text + " (expected: an IPv4 or IPv6 address literal)");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + " (expected: an IPv4 or IPv6 address literal)", e);
        }
    }

    static int bits(byte[] a) {
        return a.length * 8;
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** {@code a} with every bit after the first {@code prefix} cleared: the start of its block. */
    static byte[] first(byte[] a, int prefix) {
        byte[] r = a.clone();
        for (int i = prefix; i < r.length * 8; i++) {
            r[i >>> 3] &= (byte) ~(0x80 >>> (i & 7));
        }
        return r;
    }

    /** {@code a} with every bit after the first {@code prefix} set: the end of its block. */
    static byte[] last(byte[] a, int prefix) {
        byte[] r = a.clone();
        for (int i = prefix; i < r.length * 8; i++) {
            r[i >>> 3] |= (byte) (0x80 >>> (i & 7));
        }
        return r;
    }

    static boolean contains(byte[] network, int prefix, byte[] a) {
        return network.length == a.length && commonPrefix(network, a) >= prefix;
    }

    /** Number of leading bits {@code a} and {@code b} share. */
    static int commonPrefix(byte[] a, byte[] b) {
        for (int i = 0; i < a.length; i++) {
            int x = (a[i] ^ b[i]) & 0xFF;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return a.length * 8;
    }

    /**
     * The shortest prefix length whose block around {@code a} lies inside {@code [lo, hi]}, i.e. the
     * widest CIDR block containing {@code a} that a range lookup answers the same for. Requires
     * {@code lo <= a <= hi}; returns the full length at worst.
     */
    static int widestBlockWithin(byte[] a, byte[] lo, byte[] hi) {
        for (int k = 0; k < bits(a); k++) {
            if (compare(first(a, k), lo) >= 0 && compare(last(a, k), hi) <= 0) {
                return k;
            }
        }
        return bits(a);
    }

    /** {@code a + 1}, or null when {@code a} is all ones. */
    static byte[] next(byte[] a) {
        byte[] r = a.clone();
        for (int i = r.length - 1; i >= 0; i--) {
            if (++r[i] != 0) {
                return r;
            }
        }
        return null;
    }

    /** {@code a - 1}, or null when {@code a} is zero. */
    static byte[] previous(byte[] a) {
        byte[] r = a.clone();
        for (int i = r.length - 1; i >= 0; i--) {
            if (r[i]-- != 0) {
                return r;
            }
        }
        return null;
    }
}
