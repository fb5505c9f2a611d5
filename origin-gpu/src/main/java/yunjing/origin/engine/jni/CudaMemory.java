package yunjing.origin.engine.jni;

import yunjing.origin.engine.DeviceMemory;

/**
 * The CUDA device's memory through cudaMemGetInfo. The CUDA backend runs on the process's current device, so
 * one instance serves every CUDA engine; each read is one JNI call that takes no engine lock (a scrape never
 * waits for a step).
 */
final class CudaMemory implements DeviceMemory {

    static final CudaMemory INSTANCE = new CudaMemory();

    private CudaMemory() {}

    @Override
    public long usedBytes() {
        return NativeBindings.cudaMemoryInfo()[0];
    }

    @Override
    public long totalBytes() {
        return NativeBindings.cudaMemoryInfo()[1];
    }
}
