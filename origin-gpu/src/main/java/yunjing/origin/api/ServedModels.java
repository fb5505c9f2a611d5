package yunjing.origin.api;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The models the API serves, by id, as an immutable snapshot that a hot swap replaces atomically: a request reads
 * one consistent map without locking, and a swap never shows a half-updated list.
 */
public final class ServedModels {

    private volatile Map<String, ServedModel> byId;

    public ServedModels(List<ServedModel> models) {
        Map<String, ServedModel> map = new LinkedHashMap<>();
        for (ServedModel m : models) {
            if (map.put(m.id(), m) != null) {
                throw new IllegalArgumentException("models: id '" + m.id() + "' appears twice");
            }
        }
        byId = Collections.unmodifiableMap(map);
    }

    /** The model served as {@code id} now, or null. */
    public ServedModel get(String id) {
        return byId.get(id);
    }

    /** Every model served now, in the order {@code /v1/models} lists them. */
    public Collection<ServedModel> values() {
        return byId.values();
    }

    /**
     * Serves {@code next} in place of the model with its id, keeping its position; new requests see it at once.
     *
     * @return the model it replaced
     * @throws IllegalArgumentException when no model has that id (a swap never adds a model)
     */
    public synchronized ServedModel replace(ServedModel next) {
        Objects.requireNonNull(next, "next");
        Map<String, ServedModel> current = byId;
        ServedModel previous = current.get(next.id());
        if (previous == null) {
            throw new IllegalArgumentException("no model '" + next.id() + "' is served here");
        }
        Map<String, ServedModel> copy = new LinkedHashMap<>(current);
        copy.put(next.id(), next);
        byId = Collections.unmodifiableMap(copy);
        return previous;
    }
}
