package yunjing.sync.serve;

/**
 * A single byte range of a representation of known length (RFC 9110 §14.1.2). Several ranges,
 * another unit or invalid syntax parse to {@link #IGNORED} (the whole body with 200, as §14.2
 * allows); a syntactically valid range that selects nothing is {@link #UNSATISFIABLE} (416).
 */
record ByteRange(long first, long last) {

    static final ByteRange IGNORED = new ByteRange(-1, -1);
    static final ByteRange UNSATISFIABLE = new ByteRange(-2, -2);

    long length() {
        return last - first + 1;
    }

    static ByteRange parse(String header, long size) {
        if (header == null) {
            return IGNORED;
        }
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
            return IGNORED;
        }
        String spec = h.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return IGNORED;
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        try {
            if (a.isEmpty()) {
                // suffix-range: the last n bytes
                if (b.isEmpty() || !digits(b)) {
                    return IGNORED;
                }
                long n = Long.parseLong(b);
                if (n == 0 || size == 0) {
                    return UNSATISFIABLE;
                }
                return new ByteRange(Math.max(0, size - n), size - 1);
            }
            if (!digits(a) || (!b.isEmpty() && !digits(b))) {
                return IGNORED;
            }
            long first = Long.parseLong(a);
            if (!b.isEmpty() && Long.parseLong(b) < first) {
                return IGNORED; // invalid range-spec: §14.1.1 says ignore the header
            }
            if (first >= size) {
                return UNSATISFIABLE;
            }
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            return new ByteRange(first, last);
        } catch (NumberFormatException tooLong) {
            return IGNORED;
        }
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && s.length() <= 18 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
