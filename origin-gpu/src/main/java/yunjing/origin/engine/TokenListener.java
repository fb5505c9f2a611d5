package yunjing.origin.engine;

/** Receives a generation as it happens; called on the thread running the generation. */
public interface TokenListener {

    /**
     * Called once per generated token with the text it completes, which may be empty (a partial UTF-8
     * character, text held back by a stop string, a special token).
     */
    void onToken(String text);

    /** Checked between tokens: true when nobody is listening any more (client gone, server closing). */
    boolean cancelled();
}
