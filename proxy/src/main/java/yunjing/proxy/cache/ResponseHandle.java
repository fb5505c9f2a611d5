package yunjing.proxy.cache;

/**
 * The client side's grip on a response the cache delivers: flow control and cancel. Every call runs on
 * the event loop the request was handed to the cache on.
 */
public interface ResponseHandle {

    /** The client cannot take more now: stop delivering body pieces. */
    void pause();

    /** Deliver again. */
    void resume();

    /** The client went away: no more listener calls; a relayed parent exchange is closed. Idempotent. */
    void abort();
}
