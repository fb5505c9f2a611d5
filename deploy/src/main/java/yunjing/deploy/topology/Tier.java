package yunjing.deploy.topology;

import java.util.Locale;

/** Node tiers from the source outwards; a node's parents sit at a lower {@link #rank()}. */
public enum Tier {
    ORIGIN, CENTRAL, REGIONAL, EDGE;

    public int rank() {
        return ordinal();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
