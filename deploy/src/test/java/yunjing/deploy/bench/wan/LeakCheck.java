package yunjing.deploy.bench.wan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Fails a test class when Netty's leak detector (paranoid in the build) reports a leaked buffer while it
 * ran. Netty logs leaks through java.util.logging here (no SLF4J on the test class path); leaks are
 * found when the garbage collector has collected an unreleased buffer and a later allocation looks, so
 * after the class this runs a few collections and allocations before checking.
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback {

    private static final Logger NETTY_LEAKS = Logger.getLogger("io.netty.util.ResourceLeakDetector");

    private final List<String> leaks = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue() && String.valueOf(record.getMessage()).contains("LEAK")) {
                leaks.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    public void beforeAll(ExtensionContext context) {
        NETTY_LEAKS.addHandler(handler);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        try {
            for (int i = 0; i < 3 && leaks.isEmpty(); i++) {
                System.gc();
                Thread.sleep(50);
                for (int j = 0; j < 100; j++) {
                    // Allocations are where the detector looks at its queue of collected, unreleased buffers.
                    ByteBuf probe = (j % 2 == 0 ? PooledByteBufAllocator.DEFAULT : UnpooledByteBufAllocator.DEFAULT).directBuffer(16);
                    probe.release();
                }
            }
            if (!leaks.isEmpty()) {
                throw new AssertionError(leaks.size() + " ByteBuf leak(s) reported by Netty; first:\n" + leaks.get(0));
            }
        } finally {
            NETTY_LEAKS.removeHandler(handler);
        }
    }
}
