package yunjing.deploy.topology;

/** The three listeners on a node's address. Port 0 means "pick an ephemeral port" (tests). */
public record Ports(int http, int https, int admin) {
}
