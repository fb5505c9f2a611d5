package yunjing.sync.chunk;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FastCdcTest {

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static List<Chunk> chunks(byte[] data) throws IOException {
        return FastCdc.chunks(new ByteArrayInputStream(data));
    }

    private static Set<String> hashes(List<Chunk> chunks) {
        Set<String> set = new HashSet<>();
        chunks.forEach(c -> set.add(c.sha256()));
        return set;
    }

    /** Pins the wire format: every node must cut these bytes exactly here, or chunks stop matching across versions. */
    @Test
    void gearTableAndBoundaries_matchThePublishedDefinition() throws IOException {
        long[] gear = FastCdc.gearTable(FastCdc.GEAR_SEED);
        assertEquals(0x941d70cfd56af421L, gear[0]);
        assertEquals(0x51aaad17798230f8L, gear[255]);

        List<Chunk> chunks = chunks(random(42, 2 << 20));
        int[] lengths = chunks.stream().mapToInt(Chunk::length).toArray();
        assertEquals(Arrays.toString(new int[]{95032, 93295, 83583, 67961, 86068, 79250, 68351, 93908, 82701, 84649,
                76494, 116789, 83925, 76436, 68160, 73125, 33867, 78388, 74379, 32617, 71433, 91264, 83648, 117574,
                81438, 76134, 26683}), Arrays.toString(lengths));
        assertEquals("891383fa583d1acc1f3c4f392bf43bd02066985cc8570a4348a944fb1e790be4", chunks.get(0).sha256());
    }

    @Test
    void boundaries_doNotDependOnHowTheStreamIsRead() throws IOException {
        byte[] data = random(1, 3 << 20);
        Random reads = new Random(7);
        InputStream trickle = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + reads.nextInt(5000)));
            }
        };
        assertEquals(chunks(data), FastCdc.chunks(trickle));
    }

    @Test
    void chunks_tileTheInputWithinSizeBoundsAndHashTheirBytes() throws Exception {
        byte[] data = random(2, 5 << 20);
        List<Chunk> chunks = chunks(data);
        long offset = 0;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            assertEquals(offset, c.offset());
            assertTrue(c.length() <= FastCdc.MAX_SIZE, "chunk " + i + " length " + c.length());
            if (i < chunks.size() - 1) {
                assertTrue(c.length() >= FastCdc.MIN_SIZE, "chunk " + i + " length " + c.length());
            }
            byte[] slice = Arrays.copyOfRange(data, (int) c.offset(), (int) c.end());
            assertEquals(HexFormat.of().formatHex(sha.digest(slice)), c.sha256());
            offset = c.end();
        }
        assertEquals(data.length, offset);
        double average = (double) data.length / chunks.size();
        assertTrue(average > FastCdc.AVG_SIZE * 0.8 && average < FastCdc.AVG_SIZE * 1.6, "average " + average);
    }

    @Test
    void uniformInput_isCutAtMaxSize() throws IOException {
        List<Chunk> chunks = chunks(new byte[(1 << 20) + 5]);
        assertEquals(5, chunks.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(FastCdc.MAX_SIZE, chunks.get(i).length());
        }
        assertEquals(5, chunks.get(4).length());
    }

    @Test
    void emptyInput_hasNoChunks_andTinyInputIsOneChunk() throws IOException {
        assertEquals(List.of(), chunks(new byte[0]));
        assertEquals(1, chunks(new byte[]{1, 2, 3}).size());
    }

    @Test
    void insertionInTheMiddle_changesOnlyNearbyChunks() throws IOException {
        byte[] data = random(3, 8 << 20);
        int at = 4 << 20;
        byte[] inserted = new byte[data.length + 100];
        System.arraycopy(data, 0, inserted, 0, at);
        Arrays.fill(inserted, at, at + 100, (byte) 0x5a);
        System.arraycopy(data, at, inserted, at + 100, data.length - at);

        List<Chunk> before = chunks(data);
        List<Chunk> after = chunks(inserted);
        Set<String> shared = hashes(before);
        shared.retainAll(hashes(after));
        assertTrue(shared.size() >= before.size() - 2, shared.size() + " of " + before.size() + " chunks shared");
        assertTrue(after.size() - shared.size() <= 2, (after.size() - shared.size()) + " new chunks");
    }

    @Test
    void scatteredEdits_changeAtMostTwoChunksEach() throws IOException {
        byte[] data = random(4, 8 << 20);
        byte[] edited = data.clone();
        int edits = 6;
        for (int i = 0; i < edits; i++) {
            int at = (i + 1) * (data.length / (edits + 1));
            for (int j = 0; j < 64; j++) {
                edited[at + j] ^= (byte) 0xff;
            }
        }
        List<Chunk> before = chunks(data);
        Set<String> fresh = hashes(chunks(edited));
        fresh.removeAll(hashes(before));
        assertTrue(fresh.size() <= 2 * edits, fresh.size() + " new chunks for " + edits + " edits");
        assertTrue(fresh.size() >= edits, "every edit must change some chunk: " + fresh.size());
    }
}
