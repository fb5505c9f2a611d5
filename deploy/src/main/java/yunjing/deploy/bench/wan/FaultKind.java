package yunjing.deploy.bench.wan;

/** What goes wrong on a faulty turn of a relayed connection. */
public enum FaultKind {
    /** The connection is reset before anything is forwarded (at connect, or before the next request's answer). */
    REFUSE,
    /** Part of the response arrives, then the connection is reset in both directions. */
    RESET,
    /** The response stops for {@link FaultPlan#stall()} and then continues: slow, not broken. */
    STALL
}
