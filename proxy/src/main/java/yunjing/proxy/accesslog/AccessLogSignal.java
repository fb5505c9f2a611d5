package yunjing.proxy.accesslog;

import sun.misc.Signal;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SIGUSR1 reopens every access log of the process ({@link AccessLog#reopenAll()}), as {@code nginx -s reopen}
 * does, so logrotate can rename the files and signal the node ({@code postrotate kill -USR1 <pid>}).
 * {@code sun.misc.Signal} (module {@code jdk.unsupported}) is the JDK's only way to catch a signal; the
 * handler runs on a thread of the JVM's signal dispatcher, never on an event loop.
 */
public final class AccessLogSignal {

    private static final Logger log = Logger.getLogger(AccessLogSignal.class.getName());
    private static volatile boolean installed;

    private AccessLogSignal() {
    }

    /**
     * Installs the handler once per process (the composition root calls it). Returns false when the JVM
     * does not let the process catch SIGUSR1 (e.g. started with {@code -Xrs}); logs then reopen only through
     * the admin endpoint.
     */
    public static synchronized boolean install() {
        if (installed) {
            return true;
        }
        try {
            Signal.handle(new Signal("USR1"), signal -> {
                int reopened = AccessLog.reopenAll();
                log.info(() -> "SIGUSR1: reopened " + reopened + " access log(s)");
            });
            installed = true;
        } catch (IllegalArgumentException e) {
            log.log(Level.WARNING, "SIGUSR1 cannot be caught here; access logs reopen only by the admin endpoint", e);
        }
        return installed;
    }
}
