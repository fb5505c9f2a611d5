package yunjing.origin.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Learns byte-level BPE merges from a text, the classic way (Sennrich et al. 2016, as in GPT-2): split with
 * the GPT-2 pattern, start from single byte-level characters and repeatedly merge the most frequent adjacent
 * pair. Ties go to the lexicographically smallest pair so that the result depends on nothing but the text.
 * Used to give the test model a real, if small, vocabulary.
 */
public final class BpeTrainer {

    private BpeTrainer() {}

    /** Up to {@code maxMerges} merges as {left, right}, stopping early when no pair occurs twice. */
    public static List<String[]> learnMerges(String text, int maxMerges) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = ByteLevel.GPT2_PATTERN.matcher(text);
        while (m.find()) {
            wordCounts.merge(ByteLevel.encode(m.group()), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.forEach((w, c) -> {
            List<String> symbols = new ArrayList<>();
            for (int i = 0; i < w.length(); i++) {
                symbols.add(String.valueOf(w.charAt(i)));
            }
            words.add(symbols);
            counts.add(c);
        });
        List<String[]> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Map<String, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    // Byte-level symbols never contain a raw space, so it separates the pair unambiguously.
                    pairCounts.merge(s.get(i) + " " + s.get(i + 1), counts.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
                if (e.getValue() > bestCount || e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null) {
                break;
            }
            String[] pair = best.split(" ", -1);
            merges.add(pair);
            String merged = pair[0] + pair[1];
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        s.set(i, merged);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }
}
