package yunjing.deploy.run;

import yunjing.deploy.admin.AdminRole;
import yunjing.deploy.admin.AdminServer;
import yunjing.deploy.admin.Readiness;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A node or the DNS service as started in this process: the role itself, its admin listener
 * and the addresses it actually bound (which differ from the topology's in ephemeral mode).
 *
 * @param http   HTTP listener (DNS: the UDP/TCP listener)
 * @param https  HTTPS listener, or null where the role has none
 */
public record RunningRole(String id, String kind, InetSocketAddress http, InetSocketAddress https,
                          AdminServer admin, AdminRole adminRole, AutoCloseable role, List<AutoCloseable> helpers)
        implements AutoCloseable {

    /** @param helpers what runs beside the role (an RTT reporter, a reloader); closed before it */
    public RunningRole {
        helpers = List.copyOf(helpers);
    }

    public RunningRole(String id, String kind, InetSocketAddress http, InetSocketAddress https,
                       AdminServer admin, AdminRole adminRole, AutoCloseable role) {
        this(id, kind, http, https, admin, adminRole, role, List.of());
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** Readiness as /readyz serves it, draining included. */
    public Readiness readiness() {
        return adminRole.currentReadiness();
    }

    @Override
    public void close() {
        for (AutoCloseable helper : helpers) {
            try {
                helper.close();
            } catch (Exception e) {
                System.err.println("yunjing: " + id + ": error while stopping " + helper + ": " + e);
            }
        }
        admin.close();
        try {
            role.close();
        } catch (Exception e) {
            System.err.println("yunjing: " + id + ": error while stopping: " + e);
        }
        adminRole.registry().close();
    }
}
