package yunjing.origin.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds {@code added_tokens} (e.g. {@code <|eot_id|>}) in raw text before BPE, as tokenizers does, so that a
 * rendered chat prompt turns its role markers into single special ids. Candidates are indexed by first
 * character and tried longest first, which keeps the scan linear in the text length.
 *
 * <p>The {@code lstrip}/{@code rstrip}/{@code single_word} flags are not applied; the Llama 3 family sets them
 * all false.
 */
final class AddedTokens {

    /** A piece of input: either plain text for BPE ({@code id < 0}) or one added token. */
    record Segment(String text, int id) {}

    private final Map<Character, List<Map.Entry<String, Integer>>> byFirstChar = new HashMap<>();

    AddedTokens(Map<String, Integer> tokens) {
        for (Map.Entry<String, Integer> e : tokens.entrySet()) {
            if (!e.getKey().isEmpty()) {
                byFirstChar.computeIfAbsent(e.getKey().charAt(0), c -> new ArrayList<>()).add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        byFirstChar.values().forEach(l -> l.sort(
                Comparator.comparingInt((Map.Entry<String, Integer> e) -> -e.getKey().length())
                        .thenComparing(Map.Entry::getKey)));
    }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            Map.Entry<String, Integer> hit = null;
            List<Map.Entry<String, Integer>> candidates = byFirstChar.get(text.charAt(i));
            if (candidates != null) {
                for (Map.Entry<String, Integer> c : candidates) {
                    if (text.startsWith(c.getKey(), i)) {
                        hit = c;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            if (i > plainStart) {
                out.add(new Segment(text.substring(plainStart, i), -1));
            }
            out.add(new Segment(hit.getKey(), hit.getValue()));
            i += hit.getKey().length();
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Segment(text.substring(plainStart), -1));
        }
        return out;
    }
}
