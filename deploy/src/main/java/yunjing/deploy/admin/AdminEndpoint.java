package yunjing.deploy.admin;

/**
 * A role-specific operation on the admin port, e.g. the DNS's {@code POST /rtt}: token required,
 * POST only, the request body in, a JSON body out. Runs on the admin event loop: keep it cheap.
 */
@FunctionalInterface
public interface AdminEndpoint {

    /**
     * @return the JSON response body (200)
     * @throws IllegalArgumentException the request is wrong; its message goes back with 400
     * @throws IllegalStateException    the operation failed; its message goes back with 500
     */
    String handle(String body);
}
