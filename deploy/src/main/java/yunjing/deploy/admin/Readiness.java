package yunjing.deploy.admin;

/** Whether a role should get traffic now, and in a few words why (shown by /readyz and status). */
public record Readiness(boolean ready, String detail, boolean draining) {

    public static Readiness of(boolean ready, String detail) {
        return new Readiness(ready, detail, false);
    }
}
