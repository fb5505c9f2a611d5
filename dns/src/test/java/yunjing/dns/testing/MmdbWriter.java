package yunjing.dns.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal MaxMind DB writer for test fixtures, after the MaxMind DB File Format Specification
 * 2.0 (https://maxmind.github.io/MaxMind-DB/): an IPv6 binary search tree with 24-bit records,
 * IPv4 networks at {@code ::a.b.c.d/96+n} (where readers look for IPv4 addresses), a 16-byte
 * separator, the data section, then {@code \xAB\xCD\xEFMaxMind.com} and the metadata map.
 *
 * <p>Values: {@link String} (utf8_string), {@link Map} (map), {@link List} (array), {@link U16},
 * {@link U32}, {@link U64}. Networks may nest (a more specific one inserted later splits the
 * wider); inserting a wider network over existing more specific ones is not supported. Every
 * record is written out on its own (no pointers, no deduplication): fixtures are tiny.
 */
public final class MmdbWriter {

    public record U16(int value) {
    }

    public record U32(long value) {
    }

    public record U64(long value) {
    }

    private static final int EMPTY = -1;
    private static final byte[] METADATA_MARKER = {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF,
            'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'};

    private final String databaseType;
    /** Children per node: a node index (>= 0), EMPTY, or a data offset encoded as -2 - offset. */
    private final List<int[]> nodes = new ArrayList<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    public MmdbWriter(String databaseType) {
        this.databaseType = databaseType;
        nodes.add(new int[] {EMPTY, EMPTY});
    }

    /** Maps {@code cidr} (IPv4 or IPv6) to {@code record}. */
    public MmdbWriter insert(String cidr, Map<String, ?> record) {
        int slash = cidr.indexOf('/');
        InetAddress address;
        try {
            address = InetAddress.getByName(cidr.substring(0, slash));
        } catch (IOException e) {
            throw new IllegalArgumentException(cidr, e);
        }
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        byte[] key = new byte[16];
        byte[] raw = address.getAddress();
        if (address instanceof Inet4Address) {
            System.arraycopy(raw, 0, key, 12, 4);
            prefix += 96;
        } else {
            key = raw;
        }
        int offset = data.size();
        encode(data, record);
        int value = -2 - offset;
        int node = 0;
        for (int i = 0; i < prefix; i++) {
            int bit = (key[i >>> 3] >>> (7 - (i & 7))) & 1;
            int child = nodes.get(node)[bit];
            if (i == prefix - 1) {
                if (child >= 0) {
                    throw new IllegalStateException(cidr + " is wider than a network already inserted");
                }
                nodes.get(node)[bit] = value;
                break;
            }
            if (child < 0) { // empty, or a wider network's data that this one splits
                nodes.add(new int[] {child, child});
                child = nodes.size() - 1;
                nodes.get(node)[bit] = child;
            }
            node = child;
        }
        return this;
    }

    public Path write(Path file) throws IOException {
        int count = nodes.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int[] n : nodes) {
            for (int child : n) {
                long v = child == EMPTY ? count : child >= 0 ? child : (long) count + 16 + (-2 - child);
                if (v >= 1 << 24) {
                    throw new IllegalStateException("fixture too big for 24-bit records");
                }
                out.write((int) (v >>> 16));
                out.write((int) (v >>> 8));
                out.write((int) v);
            }
        }
        out.write(new byte[16]);
        data.writeTo(out);
        out.write(METADATA_MARKER);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("binary_format_major_version", new U16(2));
        metadata.put("binary_format_minor_version", new U16(0));
        metadata.put("build_epoch", new U64(1_700_000_000L));
        metadata.put("database_type", databaseType);
        metadata.put("description", Map.of("en", "yunjing test fixture"));
        metadata.put("ip_version", new U16(6));
        metadata.put("languages", List.of("en"));
        metadata.put("node_count", new U32(count));
        metadata.put("record_size", new U16(24));
        encode(out, metadata);
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void encode(ByteArrayOutputStream out, Object value) {
        switch (value) {
            case String s -> {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                control(out, 2, b.length);
                out.writeBytes(b);
            }
            case Map<?, ?> m -> {
                control(out, 7, m.size());
                m.forEach((k, v) -> {
                    encode(out, (String) k);
                    encode(out, v);
                });
            }
            case List<?> l -> {
                control(out, 11, l.size());
                l.forEach(v -> encode(out, v));
            }
            case U16 u -> unsigned(out, 5, u.value);
            case U32 u -> unsigned(out, 6, u.value);
            case U64 u -> unsigned(out, 9, u.value);
            default -> throw new IllegalArgumentException("no MMDB type for " + value.getClass());
        }
    }

    private static void unsigned(ByteArrayOutputStream out, int type, long value) {
        byte[] b = BigInteger.valueOf(value).toByteArray();
        int skip = 0;
        while (skip < b.length && b[skip] == 0) {
            skip++; // minimal big-endian: no leading zero bytes; zero has size 0
        }
        control(out, type, b.length - skip);
        out.write(b, skip, b.length - skip);
    }

    /** Control byte: type in the top 3 bits (0 = extended, type - 7 in the next byte), then the size. */
    private static void control(ByteArrayOutputStream out, int type, int size) {
        int typeBits = type <= 7 ? type << 5 : 0;
        if (size < 29) {
            out.write(typeBits | size);
        } else if (size < 29 + 256) {
            out.write(typeBits | 29);
        } else {
            throw new IllegalArgumentException("size " + size + " (fixtures stay small)");
        }
        if (type > 7) {
            out.write(type - 7);
        }
        if (size >= 29) {
            out.write(size - 29);
        }
    }
}
