package yunjing.proxy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The node's cache, built once by the composition root.
 *
 * @param l1MaxBytes           bound of the in-memory tier (L1): body bytes plus an estimate of the heads
 * @param l1MaxObjectBytes     largest body stored whole; a storable response announcing a larger
 *                             {@code Content-Length} is stored as slices when its parent serves ranges of it
 *                             (else it streams through uncached and uncollapsed)
 * @param sliceBytes           size of the slices of large objects (at most {@code l1MaxObjectBytes})
 * @param diskDir              directory of the disk tier (L2), or null for none
 * @param diskMaxBytes         bound of the disk tier
 * @param negativeTtl          how long a 404 without explicit freshness is reused
 * @param maxStaleIfError      how stale a stored response may be and still be served when every parent
 *                             fails (RFC 5861 §4 stale-if-error, applied to all responses that allow it)
 * @param maxHeuristicLifetime cap of the heuristic freshness lifetime (RFC 9111 §4.2.2)
 */
public record CacheConfig(
        long l1MaxBytes,
        long l1MaxObjectBytes,
        long sliceBytes,
        Path diskDir,
        long diskMaxBytes,
        Duration negativeTtl,
        Duration maxStaleIfError,
        Duration maxHeuristicLifetime) {

    public static final long DEFAULT_L1_MAX_BYTES = 256L << 20;
    public static final long DEFAULT_L1_MAX_OBJECT_BYTES = 16L << 20;
    public static final long DEFAULT_SLICE_BYTES = 4L << 20;
    public static final long DEFAULT_DISK_MAX_BYTES = 10L << 30;
    public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MAX_STALE_IF_ERROR = Duration.ofMinutes(10);
    public static final Duration DEFAULT_MAX_HEURISTIC_LIFETIME = Duration.ofDays(1);

    public CacheConfig {
        Objects.requireNonNull(negativeTtl, "negativeTtl");
        Objects.requireNonNull(maxStaleIfError, "maxStaleIfError");
        Objects.requireNonNull(maxHeuristicLifetime, "maxHeuristicLifetime");
        if (l1MaxBytes <= 0) {
            throw new IllegalArgumentException("l1MaxBytes: " + l1MaxBytes + " (expected: > 0)");
        }
        if (l1MaxObjectBytes <= 0 || l1MaxObjectBytes > l1MaxBytes) {
            throw new IllegalArgumentException("l1MaxObjectBytes: " + l1MaxObjectBytes
                    + " (expected: > 0 and <= l1MaxBytes " + l1MaxBytes + ")");
        }
        if (sliceBytes <= 0 || sliceBytes > l1MaxObjectBytes) {
            throw new IllegalArgumentException("sliceBytes: " + sliceBytes
                    + " (expected: > 0 and <= l1MaxObjectBytes " + l1MaxObjectBytes + ")");
        }
        if (diskMaxBytes <= 0) {
            throw new IllegalArgumentException("diskMaxBytes: " + diskMaxBytes + " (expected: > 0)");
        }
        if (negativeTtl.isNegative()) {
            throw new IllegalArgumentException("negativeTtl: " + negativeTtl + " (expected: >= 0)");
        }
        if (maxStaleIfError.isNegative()) {
            throw new IllegalArgumentException("maxStaleIfError: " + maxStaleIfError + " (expected: >= 0)");
        }
        if (maxHeuristicLifetime.isNegative()) {
            throw new IllegalArgumentException("maxHeuristicLifetime: " + maxHeuristicLifetime + " (expected: >= 0)");
        }
    }

    /** The defaults, memory only. */
    public static CacheConfig memoryOnly() {
        return new CacheConfig(DEFAULT_L1_MAX_BYTES, DEFAULT_L1_MAX_OBJECT_BYTES, DEFAULT_SLICE_BYTES, null, DEFAULT_DISK_MAX_BYTES,
                DEFAULT_NEGATIVE_TTL, DEFAULT_MAX_STALE_IF_ERROR, DEFAULT_MAX_HEURISTIC_LIFETIME);
    }

    /** The defaults with a disk tier under {@code dir}. */
    public static CacheConfig withDisk(Path dir) {
        return memoryOnly().withDiskDir(Objects.requireNonNull(dir, "dir"));
    }

    public CacheConfig withDiskDir(Path dir) {
        return new CacheConfig(l1MaxBytes, l1MaxObjectBytes, sliceBytes, dir, diskMaxBytes, negativeTtl, maxStaleIfError,
                maxHeuristicLifetime);
    }

    /** L1 bounds; the slice size becomes at most {@code maxObjectBytes}. */
    public CacheConfig withL1(long maxBytes, long maxObjectBytes) {
        return new CacheConfig(maxBytes, maxObjectBytes, Math.min(sliceBytes, maxObjectBytes), diskDir, diskMaxBytes, negativeTtl, maxStaleIfError,
                maxHeuristicLifetime);
    }

    public CacheConfig withSliceBytes(long bytes) {
        return new CacheConfig(l1MaxBytes, l1MaxObjectBytes, bytes, diskDir, diskMaxBytes, negativeTtl, maxStaleIfError,
                maxHeuristicLifetime);
    }

    public CacheConfig withDiskMaxBytes(long bytes) {
        return new CacheConfig(l1MaxBytes, l1MaxObjectBytes, sliceBytes, diskDir, bytes, negativeTtl, maxStaleIfError,
                maxHeuristicLifetime);
    }

    public CacheConfig withNegativeTtl(Duration ttl) {
        return new CacheConfig(l1MaxBytes, l1MaxObjectBytes, sliceBytes, diskDir, diskMaxBytes, ttl, maxStaleIfError,
                maxHeuristicLifetime);
    }

    public CacheConfig withMaxStaleIfError(Duration maxStale) {
        return new CacheConfig(l1MaxBytes, l1MaxObjectBytes, sliceBytes, diskDir, diskMaxBytes, negativeTtl, maxStale,
                maxHeuristicLifetime);
    }
}
