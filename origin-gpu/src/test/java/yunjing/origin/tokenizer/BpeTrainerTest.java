package yunjing.origin.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BpeTrainerTest {

    @Test
    void mergesTheMostFrequentPairFirst_andStopsWhenNothingRepeats() {
        // Pieces: "aaa", " aaa", " aaa". (a,a) occurs 6 times, then (aa,a) 3, then (Ġ,aaa) 2; then nothing repeats.
        List<String[]> merges = BpeTrainer.learnMerges("aaa aaa aaa", 100);
        assertEquals(List.of("a a", "aa a", "Ġ aaa"), merges.stream().map(m -> m[0] + " " + m[1]).toList());
    }

    @Test
    void respectsTheMergeLimit() {
        assertEquals(1, BpeTrainer.learnMerges("aaa aaa aaa", 1).size());
    }
}
