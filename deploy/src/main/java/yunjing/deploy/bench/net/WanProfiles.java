package yunjing.deploy.bench.net;

import yunjing.deploy.bench.wan.FaultPlan;
import yunjing.deploy.bench.wan.LinkProfile;
import yunjing.deploy.topology.Node;
import yunjing.deploy.topology.Tier;

/**
 * Which emulated link joins two places: the cross-border line to the origin, the domestic backbone
 * between tiers (near: same province; far: another province, where traffic crosses carrier
 * interconnects), and the last hop from a client to its edge.
 */
public record WanProfiles(LinkProfile crossBorder, LinkProfile domesticNear, LinkProfile domesticFar,
                          LinkProfile clientToEdge) {

    /** The profiles of issue 8: 180 ms / 20 Mbit/s / 1 % faults across the border, 25–40 ms at home, 5–10 ms last hop. */
    public static WanProfiles china() {
        return new WanProfiles(LinkProfile.crossBorder(), LinkProfile.domesticWithinCarrier(),
                LinkProfile.domesticCrossCarrier(), LinkProfile.clientToEdge());
    }

    /** The same links with {@code rate} of the cross-border connections faulted (refused, reset or stalled). */
    public WanProfiles withBorderFaults(double rate) {
        LinkProfile border = new LinkProfile(crossBorder.name(), crossBorder.oneWayDelay(), crossBorder.jitter(),
                crossBorder.bitsPerSecond(), FaultPlan.of(rate));
        return new WanProfiles(border, domesticNear, domesticFar, clientToEdge);
    }

    /** The link from a node to one of its parents. */
    public LinkProfile between(Node child, Node parent) {
        if (parent.tier() == Tier.ORIGIN) {
            return crossBorder;
        }
        return child.province().equals(parent.province()) ? domesticNear : domesticFar;
    }
}
