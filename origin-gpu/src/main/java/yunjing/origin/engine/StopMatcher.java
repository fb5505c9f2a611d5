package yunjing.origin.engine;

import java.util.List;

/**
 * Applies OpenAI {@code stop} strings to streamed text: the output ends before the first occurrence of any stop
 * string, which itself is not sent. Because a stop string can arrive split over several tokens, text that could
 * still become the start of one is held back until it cannot.
 *
 * <p>Confined to the thread generating its sequence.
 */
final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Text that may be sent now; after a stop string is seen, what precedes it, and {@link #stopped()} is true. */
    String push(String text) {
        if (stopped) {
            return "";
        }
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    boolean stopped() {
        return stopped;
    }

    /** What was held back when generation ends for another reason. */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        int best = 0;
        String h = held.toString();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, h.length()); len > best; len--) {
                if (h.regionMatches(h.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
