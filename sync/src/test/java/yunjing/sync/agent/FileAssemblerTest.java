package yunjing.sync.agent;

import org.junit.jupiter.api.Test;
import yunjing.sync.chunk.Chunk;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FileAssemblerTest {

    private static List<Chunk> chunks(int... lengths) {
        List<Chunk> list = new ArrayList<>();
        long offset = 0;
        for (int length : lengths) {
            list.add(new Chunk(offset, length, "0".repeat(64)));
            offset += length;
        }
        return list;
    }


    @Test
    void missingRanges_mergeAdjacentChunks_splitAtGapsAndAtTheSizeCap() {
        List<Chunk> chunks = chunks(100, 100, 100, 100, 100, 100, 100);
        BitSet done = new BitSet();
        done.set(2);
        done.set(6);
        assertEquals(List.of(List.of(0, 1), List.of(3, 4, 5)), FileAssembler.missingRanges(chunks, done, 1000));
        assertEquals(List.of(List.of(0, 1), List.of(3, 4), List.of(5)), FileAssembler.missingRanges(chunks, done, 250));
        assertEquals(List.of(List.of(0), List.of(1), List.of(3), List.of(4), List.of(5)), FileAssembler.missingRanges(chunks, done, 1));
    }

    @Test
    void missingRanges_ofACompleteFile_isEmpty() {
        BitSet done = new BitSet();
        done.set(0, 3);
        assertEquals(List.of(), FileAssembler.missingRanges(chunks(1, 2, 3), done, 1000));
    }
}
