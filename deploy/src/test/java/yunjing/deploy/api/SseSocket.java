package yunjing.deploy.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A chat completion stream over a plain HTTP/1.1 socket, so a test controls exactly when the client goes
 * away: {@link #close()} closes the TCP connection mid-stream, as a phone agent that gives up does.
 */
final class SseSocket implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader in;
    private int status;

    SseSocket(InetSocketAddress edge, String key, String body) throws IOException {
        socket = new Socket();
        socket.connect(edge, 5000);
        socket.setSoTimeout(20_000);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.mirror.test\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Reads the status line and headers (a stream queued at the origin sends them only when it runs). */
    int status() throws IOException {
        if (status == 0) {
            String statusLine = in.readLine();
            if (statusLine == null) {
                throw new IOException("connection closed before a response");
            }
            status = Integer.parseInt(statusLine.split(" ")[1]);
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                // headers: not needed
            }
        }
        return status;
    }

    /** The next {@code data:} payload (chunk-size lines and blank lines skipped), or null at the end. */
    String nextData() throws IOException {
        status();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("data: ")) {
                return line.substring(6);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
