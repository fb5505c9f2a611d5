package yunjing.origin.sched;

import yunjing.origin.engine.GenerationResult;
import yunjing.origin.engine.TokenListener;

/**
 * Receives one scheduled generation. Every method is called on the scheduler thread and must not block: it
 * runs between the steps of every other sequence in the batch. Exactly one of {@link #completed} and
 * {@link #failed} is called, once.
 */
public interface SequenceListener extends TokenListener {

    /**
     * False while the client cannot take more output (a slow reader, an exhausted HTTP/2 window): the sequence
     * then sits out decode steps, holding its blocks, instead of filling server memory.
     */
    default boolean writable() {
        return true;
    }

    /** Generation ended: stop, length, cancelled or deadline. */
    void completed(GenerationResult result);

    /** The request never ran ({@link RejectedException}) or the engine failed. */
    void failed(Exception cause);
}
