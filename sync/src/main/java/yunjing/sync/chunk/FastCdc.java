package yunjing.sync.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * FastCDC content-defined chunking (Xia et al., "FastCDC: a Fast and Efficient Content-Defined
 * Chunking Approach for Data Deduplication", USENIX ATC 2016) with normalized chunking level 2.
 *
 * <p>A boundary is placed after byte {@code i} when the gear hash
 * {@code h = (h << 1) + GEAR[b[i]]} has all bits of a mask clear. The first {@link #MIN_SIZE}
 * bytes of a chunk are skipped (cut-point skipping); up to {@link #AVG_SIZE} the hard mask
 * {@code MASK_S} (18 bits) is used, after it the easy mask {@code MASK_L} (14 bits), and a chunk
 * is cut at {@link #MAX_SIZE} regardless. The masks take the <em>top</em> bits of the hash
 * because, with a left shift, bit {@code k} depends on the last {@code k + 1} bytes: the top bits
 * see a 64-byte window. Expected chunk size is about 75 KiB; an edit moves at most the boundaries
 * of the chunk it falls in and the next one, after which the boundaries resynchronize.
 *
 * <p>Every node must cut identically, so the parameters and the gear table are part of the wire
 * format, named by {@link #ID} in manifests: {@code GEAR[i]} is the {@code i}-th output of
 * SplitMix64 (Steele, Lea, Flood 2014) seeded with {@link #GEAR_SEED}. Changing any of them
 * requires a new {@link #ID}.
 *
 * <p>Memory is bounded: one {@link #MAX_SIZE} buffer per call, whatever the input size.
 * Stateless and thread-safe.
 */
public final class FastCdc {

    /** Names the algorithm, its parameters and its gear table in manifests. */
    public static final String ID = "fastcdc-v1-gear-splitmix64-16k-64k-256k";
    public static final int MIN_SIZE = 16 * 1024;
    public static final int AVG_SIZE = 64 * 1024;
    public static final int MAX_SIZE = 256 * 1024;
    /** The ASCII bytes of "yunjing!" read as a big-endian long. */
    public static final long GEAR_SEED = 0x79756E6A696E6721L;

    private static final long MASK_S = -1L << (64 - 18);
    private static final long MASK_L = -1L << (64 - 14);
    private static final long[] GEAR = gearTable(GEAR_SEED);

    private FastCdc() {
    }

    /** The chunks of {@code file}, in order. */
    public static List<Chunk> chunks(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return chunks(in);
        }
    }

    /** The chunks of everything {@code in} yields, in order; does not close {@code in}. */
    public static List<Chunk> chunks(InputStream in) throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        chunk(in, chunks::add);
        return chunks;
    }

    /**
     * Streams the chunks of everything {@code in} yields to {@code sink}, in order, holding at most
     * {@link #MAX_SIZE} bytes; does not close {@code in}. An empty input yields no chunks.
     */
    public static void chunk(InputStream in, Consumer<Chunk> sink) throws IOException {
        byte[] buf = new byte[MAX_SIZE];
        MessageDigest sha = sha256();
        HexFormat hex = HexFormat.of();
        long offset = 0;
        int len = 0;
        boolean eof = false;
        while (true) {
            while (!eof && len < buf.length) {
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) {
                    eof = true;
                } else {
                    len += n;
                }
            }
            if (len == 0) {
                return;
            }
            int cut = cutPoint(buf, len);
            sha.update(buf, 0, cut);
            sink.accept(new Chunk(offset, cut, hex.formatHex(sha.digest())));
            offset += cut;
            System.arraycopy(buf, cut, buf, 0, len - cut);
            len -= cut;
        }
    }

    /** The length of the chunk that starts at {@code buf[0]}, given {@code len} available bytes. */
    static int cutPoint(byte[] buf, int len) {
        if (len <= MIN_SIZE) {
            return len;
        }
        int n = Math.min(len, MAX_SIZE);
        int normal = Math.min(n, AVG_SIZE);
        long h = 0;
        int i = MIN_SIZE;
        for (; i < normal; i++) {
            h = (h << 1) + GEAR[buf[i] & 0xff];
            if ((h & MASK_S) == 0) {
                return i + 1;
            }
        }
        for (; i < n; i++) {
            h = (h << 1) + GEAR[buf[i] & 0xff];
            if ((h & MASK_L) == 0) {
                return i + 1;
            }
        }
        return n;
    }

    /** SplitMix64: the 256 gear values; public in its definition so other implementations can match. */
    static long[] gearTable(long seed) {
        long[] table = new long[256];
        long state = seed;
        for (int i = 0; i < table.length; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            table[i] = z ^ (z >>> 31);
        }
        return table;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
