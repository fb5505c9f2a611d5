package yunjing.proxy.cache;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The file format of one L2 entry ({@link DiskTier}): magic {@code YJC3}, the head's length and the head (key,
 * primary key, status, request and response times, Vary names, header fields, the sliced length or -1, the
 * digest its body is stored under or "" — {@link DigestBodies}: such a head's body length is 0), the body
 * length and bytes, then a CRC32C of everything before it. {@code YJC2}, the format before bodies were stored
 * by digest, is only recognised so that its files can be dropped. Stateless; any thread.
 */
final class EntryFile {

    static final int MAGIC = 0x594A4333; // "YJC3"
    /** The format before bodies were stored once by digest: its files are dropped at start. */
    static final int OLD_MAGIC = 0x594A4332; // "YJC2"
    /** The smallest well-formed file: magic, head length, an empty head, body length, checksum. */
    private static final int MIN_SIZE = 20;
    private static final int PIECE = 64 * 1024;

    /** A file's head and where its body lies in it. */
    record Layout(Head head, long bodyOffset, long bodyLength) {
    }

    private EntryFile() {
    }

    /**
     * The head of a file being indexed, read from {@code in} just after its magic (which the caller checked),
     * without reading the body or verifying the checksum.
     */
    static Head readHead(DataInputStream in) throws IOException {
        byte[] head = new byte[in.readInt()];
        in.readFully(head);
        return Head.read(new DataInputStream(new ByteArrayInputStream(head)));
    }

    /** The head and body position of a whole file of {@code size} bytes, checking its framing (not its checksum). */
    static Layout layout(FileChannel channel, long size) throws IOException {
        ByteBuffer start = readFully(channel, 0, 8);
        if (start.getInt() != MAGIC) {
            throw new IOException("bad magic");
        }
        int headLength = start.getInt();
        if (headLength < 0 || headLength > size - MIN_SIZE) {
            throw new IOException("bad head length " + headLength);
        }
        ByteBuffer headBytes = readFully(channel, 8, headLength + 8);
        Head head = Head.read(new DataInputStream(new ByteArrayInputStream(headBytes.array())));
        long length = ByteBuffer.wrap(headBytes.array(), headLength, 8).getLong();
        long bodyOffset = 8L + headLength + 8;
        if (length < 0 || bodyOffset + length + 4 != size) {
            throw new IOException("body length " + length + " does not match the file");
        }
        return new Layout(head, bodyOffset, length);
    }

    /** Writes the entry's file format to {@code out}; returns the bytes written. */
    static long encode(CacheEntry entry, WritableByteChannel out) throws IOException {
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        DataOutputStream head = new DataOutputStream(headBytes);
        writeString(head, entry.key);
        writeString(head, entry.primaryKey);
        head.writeInt(entry.status.code());
        head.writeLong(entry.requestTime);
        head.writeLong(entry.responseTime);
        head.writeInt(entry.varyNames.size());
        for (String name : entry.varyNames) {
            writeString(head, name);
        }
        List<Map.Entry<String, String>> fields = entry.headers.entries();
        head.writeInt(fields.size());
        for (Map.Entry<String, String> field : fields) {
            writeString(head, field.getKey());
            writeString(head, field.getValue());
        }
        head.writeLong(entry.slicedLength);
        writeString(head, entry.sharedBody == null ? "" : entry.sharedBody);
        head.flush();
        CRC32C crc = new CRC32C();
        ByteBuffer start = ByteBuffer.allocate(8 + headBytes.size() + 8);
        start.putInt(MAGIC).putInt(headBytes.size()).put(headBytes.toByteArray()).putLong(entry.body.length()).flip();
        long written = writeAll(out, start, crc);
        for (byte[] piece : entry.body.pieces()) {
            written += writeAll(out, ByteBuffer.wrap(piece), crc);
        }
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
        return written + writeAll(out, trailer, null);
    }

    private static long writeAll(WritableByteChannel out, ByteBuffer buffer, CRC32C crc)
            throws IOException {
        if (crc != null) {
            crc.update(buffer.duplicate());
        }
        long n = buffer.remaining();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        return n;
    }

    /** The entry in a whole file's bytes, its checksum verified. */
    static CacheEntry decode(byte[] file, long maxHeuristicMillis, long negativeTtlMillis) throws IOException {
        if (file.length < MIN_SIZE) {
            throw new IOException("truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(file, 0, file.length - 4);
        int expected = ByteBuffer.wrap(file, file.length - 4, 4).getInt();
        if ((int) crc.getValue() != expected) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file, 0, file.length - 4));
        if (in.readInt() != MAGIC) {
            throw new IOException("bad magic");
        }
        in.readInt(); // head length
        Head head = Head.read(in);
        long length = in.readLong();
        if (length != in.available()) {
            throw new IOException("body length " + length + " does not match the file");
        }
        List<byte[]> pieces = new ArrayList<>();
        for (long read = 0; read < length; ) {
            byte[] piece = new byte[(int) Math.min(PIECE, length - read)];
            in.readFully(piece);
            pieces.add(piece);
            read += piece.length;
        }
        return head.entry(GrowingBody.completed(pieces), length, maxHeuristicMillis, negativeTtlMillis);
    }

    /**
     * The fields of an entry's head, as stored. {@code sharedBody}: the digest its body is stored under
     * ({@link DigestBodies}), or "" when the file holds the body.
     */
    record Head(String key, String primary, int status, long requestTime, long responseTime, List<String> vary,
            HttpHeaders headers, long slicedLength, String sharedBody) {

        static Head read(DataInputStream in) throws IOException {
            String key = readString(in);
            String primary = readString(in);
            int status = in.readInt();
            long requestTime = in.readLong();
            long responseTime = in.readLong();
            List<String> vary = readStrings(in);
            HttpHeaders headers = readFields(in);
            long slicedLength = in.readLong();
            String sharedBody = readString(in);
            return new Head(key, primary, status, requestTime, responseTime, vary, headers, slicedLength, sharedBody);
        }

        /** The entry with {@code body} ({@code length} bytes in the file): a head only when its body is shared. */
        CacheEntry entry(GrowingBody body, long length, long maxHeuristicMillis, long negativeTtlMillis)
                throws IOException {
            CacheControl cc = CacheControl.parse(headers);
            long lifetime = CachePolicy.freshnessLifetime(status, headers, cc, responseTime, maxHeuristicMillis,
                    negativeTtlMillis);
            CacheEntry entry = new CacheEntry(primary, key, HttpResponseStatus.valueOf(status), headers, vary,
                    requestTime, responseTime, lifetime, body, slicedLength);
            if (sharedBody.isEmpty()) {
                return entry;
            }
            if (length != 0) {
                throw new IOException("a head whose body is stored by digest holds " + length + " body bytes");
            }
            return entry.headOnly(sharedBody);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > 1 << 20) {
            throw new IOException("bad string length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static HttpHeaders readFields(DataInputStream in) throws IOException {
        int fields = in.readInt();
        if (fields < 0 || fields > 10_000) {
            throw new IOException("bad field count " + fields);
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < fields; i++) {
            headers.add(readString(in), readString(in));
        }
        return headers;
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1024) {
            throw new IOException("bad count " + n);
        }
        List<String> strings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            strings.add(readString(in));
        }
        return List.copyOf(strings);
    }

    /** Checks the CRC32C that ends the file against everything before it, reading through {@code scratch}. */
    static void verifyChecksum(FileChannel channel, long size, ByteBuffer scratch) throws IOException {
        if (size < MIN_SIZE) {
            throw new IOException("truncated");
        }
        CRC32C crc = new CRC32C();
        long end = size - 4;
        for (long position = 0; position < end; ) {
            scratch.clear().limit((int) Math.min(scratch.capacity(), end - position));
            int n = channel.read(scratch, position);
            if (n < 0) {
                throw new IOException("truncated");
            }
            crc.update(scratch.flip());
            position += n;
        }
        if ((int) crc.getValue() != readFully(channel, end, 4).getInt()) {
            throw new IOException("checksum mismatch");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("truncated");
            }
        }
        return buffer.flip();
    }
}
