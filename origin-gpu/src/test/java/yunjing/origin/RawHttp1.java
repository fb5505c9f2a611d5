package yunjing.origin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately dumb HTTP/1.1 client over a plain socket, so tests can see what java.net.http hides: chunk
 * boundaries, and closing the connection mid-response.
 */
final class RawHttp1 implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    int status;
    final Map<String, String> headers = new LinkedHashMap<>();

    RawHttp1(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void send(String method, String path, Map<String, String> extraHeaders, byte[] body) throws IOException {
        StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: origin.test\r\n");
        extraHeaders.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) {
            sb.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        out.write(sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        if (body != null) {
            out.write(body);
        }
        out.flush();
    }

    void post(String path, String json) throws IOException {
        send("POST", path, Map.of(), json.getBytes(StandardCharsets.UTF_8));
    }

    void readHead() throws IOException {
        String statusLine = line();
        status = Integer.parseInt(statusLine.split(" ")[1]);
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
    }

    /** The next chunk of a chunked body, or null after the last (zero-length) chunk. */
    String readChunk() throws IOException {
        int size = Integer.parseInt(line().split(";")[0].trim(), 16);
        if (size == 0) {
            line(); // the CRLF after the (empty) trailer section
            return null;
        }
        byte[] data = in.readNBytes(size);
        line();
        return new String(data, StandardCharsets.UTF_8);
    }

    String readFixedBody() throws IOException {
        return new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed mid-line");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
