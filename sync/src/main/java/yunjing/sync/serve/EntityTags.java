package yunjing.sync.serve;

/** {@code If-None-Match} evaluation (RFC 9110 §13.1.2): weak comparison, {@code *} matches any. */
final class EntityTags {
    private EntityTags() {
    }

    /** True when {@code ifNoneMatch} names {@code etag} (quoted, strong), so the answer is 304. */
    static boolean noneMatch(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
