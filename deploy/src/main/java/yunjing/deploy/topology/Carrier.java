package yunjing.deploy.topology;

import java.util.Locale;

/** The mainland carriers an edge sits inside; {@code edu} is CERNET. */
public enum Carrier {
    TELECOM, UNICOM, MOBILE, EDU;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
