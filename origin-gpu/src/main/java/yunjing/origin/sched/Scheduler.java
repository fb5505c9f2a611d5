package yunjing.origin.sched;

import io.micrometer.core.instrument.MeterRegistry;
import yunjing.origin.engine.GenerationRequest;
import yunjing.origin.engine.Generator;

import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one model's generations: a {@link BatchScheduler} driven by one dedicated thread, which loops over steps
 * and parks briefly when there is nothing to do (woken at once by a submission).
 *
 * <p>Lifecycle: {@link #start} returns it <em>accepting</em>; {@link #drain} makes it refuse new requests while
 * queued and running ones finish; {@link #close} stops the thread, cancels what is still running and refuses
 * what never started.
 */
public final class Scheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
    /** Parked this long with work that cannot move (every client slow), or between sweeps when idle. */
    private static final long BUSY_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final BatchScheduler core;
    private final SchedulerMetrics metrics;
    private final Thread thread;
    private volatile boolean open = true;
    private volatile boolean drainedEmpty;

    private Scheduler(BatchScheduler core, SchedulerMetrics metrics, String threadName) {
        this.core = core;
        this.metrics = metrics;
        this.thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
    }

    /** Starts the scheduler thread for {@code model}; meters are tagged with it. */
    public static Scheduler start(String model, Generator generator, SchedulerConfig config,
                                  MeterRegistry registry) {
        SchedulerMetrics metrics = new SchedulerMetrics(registry, model);
        Scheduler scheduler = new Scheduler(new BatchScheduler(generator, config, System::nanoTime, metrics),
                metrics, "origin-scheduler-" + model);
        scheduler.thread.start();
        return scheduler;
    }

    /**
     * Queues a generation at plan {@code priority} (higher first, e.g. free 1, pro 10). The listener hears
     * everything on the scheduler thread.
     *
     * @throws RejectedException when admission control refuses it (see {@link RejectedException.Reason})
     * @throws IllegalArgumentException when prompt + max tokens exceed the model's context
     */
    public void submit(GenerationRequest request, SequenceListener listener, int priority) throws RejectedException {
        core.submit(request, listener, priority);
        LockSupport.unpark(thread);
    }

    /** Refuses new requests (503) while queued and running ones finish, e.g. before a model swap or shutdown. */
    public void drain() {
        core.drain();
    }

    /**
     * True once {@link #drain} ran and every request it had has ended, as seen by the scheduler thread between
     * steps; nothing can join afterwards, so it can then be closed without cutting anyone off.
     */
    public boolean isDrainedAndEmpty() {
        return drainedEmpty;
    }

    /** Sequences in the running batch now. */
    public int runningSequences() {
        return core.runningCount();
    }

    /** Requests queued now (including preempted sequences). */
    public int waitingSequences() {
        return core.waiting.size();
    }

    private void loop() {
        while (open) {
            boolean worked = false;
            try {
                worked = core.step();
                // Judged between steps on this thread: mid-step a sequence can be in neither queue nor batch.
                drainedEmpty = !core.accepting() && core.idle();
            } catch (RuntimeException | Error e) {
                // A dead scheduler thread would hang every request of this model: log and keep stepping.
                LOG.log(Level.ERROR, "scheduler step failed", e);
            }
            if (!worked && open) {
                LockSupport.parkNanos(this, core.idle() ? IDLE_PARK_NANOS : BUSY_PARK_NANOS);
            }
        }
        core.abort();
    }

    /** Stops the thread (after its current step), cancels running generations, refuses queued ones. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        core.drain();
        open = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
            if (thread.isAlive()) {
                LOG.log(Level.WARNING, "scheduler thread " + thread.getName() + " still running 10 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
