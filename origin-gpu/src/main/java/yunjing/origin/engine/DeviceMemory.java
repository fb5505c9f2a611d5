package yunjing.origin.engine;

/**
 * Memory of the accelerator an engine runs on, read live (for the {@code gpu.memory.*} gauges). Reads are
 * thread-safe and do not wait for a running step.
 */
public interface DeviceMemory {

    /** Bytes in use on the device, by this process and any other. */
    long usedBytes();

    /** Bytes the device has. */
    long totalBytes();
}
