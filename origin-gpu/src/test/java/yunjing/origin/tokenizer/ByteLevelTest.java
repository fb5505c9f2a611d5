package yunjing.origin.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ByteLevelTest {

    @Test
    void printableBytesMapToThemselves_othersAbove0x100() {
        assertEquals('a', ByteLevel.charOf('a'));
        assertEquals('\u0120', ByteLevel.charOf(' '), "space is Ġ");
        assertEquals('\u010A', ByteLevel.charOf('\n'), "newline is Ċ");
        assertEquals('\u0100', ByteLevel.charOf(0));
        assertEquals('\u0143', ByteLevel.charOf(0xAD), "soft hyphen is the last remapped byte");
    }

    @Test
    void everyByte_roundTrips() {
        byte[] all = new byte[256];
        for (int b = 0; b < 256; b++) {
            all[b] = (byte) b;
            assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        }
        StringBuilder s = new StringBuilder();
        for (byte b : all) {
            s.append(ByteLevel.charOf(b));
        }
        assertArrayEquals(all, ByteLevel.decode(s.toString()));
    }

    @Test
    void encode_mapsUtf8Bytes() {
        assertEquals("ä¸Ń", ByteLevel.encode("中")); // E4 B8 AD
        assertArrayEquals("中".getBytes(StandardCharsets.UTF_8), ByteLevel.decode("ä¸Ń"));
    }
}
