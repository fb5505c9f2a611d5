package yunjing.sync.chunk;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunk record's checks, in particular the SHA-256 hex check every manifest entry goes through. */
class ChunkTest {

    private static final String HEX = "0123456789abcdef".repeat(4);

    @Test
    void sha256Hex_isExactly64LowerCaseHexDigits() {
        assertTrue(Chunk.isSha256Hex(HEX));
        assertTrue(Chunk.isSha256Hex("f".repeat(64)));
        assertFalse(Chunk.isSha256Hex(null));
        assertFalse(Chunk.isSha256Hex(""));
        assertFalse(Chunk.isSha256Hex(HEX.substring(1)), "63 digits");
        assertFalse(Chunk.isSha256Hex(HEX + "0"), "65 digits");
        assertFalse(Chunk.isSha256Hex(HEX.toUpperCase()), "upper case");
        for (char bad : new char[] {'g', 'G', '/', ':', '`', '@', ' ', '\n', 'é'}) {
            assertFalse(Chunk.isSha256Hex(HEX.substring(0, 63) + bad), "ends with " + bad);
            assertFalse(Chunk.isSha256Hex(bad + HEX.substring(1)), "starts with " + bad);
        }
    }

    @Test
    void constructor_refusesABadDigestOffsetOrLength() {
        assertEquals(10, new Chunk(0, 10, HEX).end());
        assertThrows(IllegalArgumentException.class, () -> new Chunk(0, 10, HEX.toUpperCase()));
        assertThrows(IllegalArgumentException.class, () -> new Chunk(-1, 10, HEX));
        assertThrows(IllegalArgumentException.class, () -> new Chunk(0, 0, HEX));
        assertThrows(IllegalArgumentException.class, () -> new Chunk(0, FastCdc.MAX_SIZE + 1, HEX));
    }
}
