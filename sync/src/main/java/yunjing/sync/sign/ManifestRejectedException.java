package yunjing.sync.sign;

/** A manifest that must not be accepted: bad signature, rollback, expired, or unsafe content. */
public final class ManifestRejectedException extends Exception {
    public ManifestRejectedException(String message) {
        super(message);
    }

    public ManifestRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
