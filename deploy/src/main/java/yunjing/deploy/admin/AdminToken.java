package yunjing.deploy.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The bearer token that guards the admin operations that change state (purge). Kept in
 * {@code <state>/admin.token} (mode 0600), created on first start; the CLI reads the same file,
 * and an operator may put their own token there. Only its SHA-256 is held in memory, and
 * comparison is constant-time.
 */
public final class AdminToken {

    public static final String FILE = "admin.token";

    private final String token;
    private final byte[] sha256;

    private AdminToken(String token) {
        this.token = token;
        this.sha256 = digest(token);
    }

    public static AdminToken loadOrCreate(Path stateRoot) throws IOException {
        Path file = stateRoot.resolve(FILE);
        if (Files.isRegularFile(file)) {
            return read(file);
        }
        Files.createDirectories(stateRoot);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = "yjadm-" + HexFormat.of().formatHex(random);
        Path temp = stateRoot.resolve(FILE + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, token + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            Files.deleteIfExists(temp);  // another role created it first: use theirs
        }
        return read(file);
    }

    public static AdminToken read(Path file) throws IOException {
        String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (token.length() < 16) {
            throw new IOException(file + ": admin token must be at least 16 characters");
        }
        return new AdminToken(token);
    }

    /** The secret, for clients (the CLI) only. */
    public String value() {
        return token;
    }

    /** True when {@code authorization} is {@code Bearer <this token>}. */
    public boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(sha256, digest(authorization.substring(7).strip()));
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
