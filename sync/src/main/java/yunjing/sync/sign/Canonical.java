package yunjing.sync.sign;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The bytes a manifest signature covers: the JSON tree without its {@code signature} field,
 * object keys sorted by UTF-16 code unit order (ASCII keys only in practice), no whitespace,
 * UTF-8, strings escaped as Jackson writes them. Manifests hold only strings and integers, so
 * number formatting cannot differ between writers.
 */
final class Canonical {

    static final String SIGNATURE = "signature";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Canonical() {
    }

    static byte[] bytes(JsonNode manifest) {
        // sorted() builds new objects and arrays and shares only the leaves, so the signature
        // field can be left out of its copy of the root instead of copying the whole tree first.
        ObjectNode unsigned = (ObjectNode) sorted(manifest);
        unsigned.remove(SIGNATURE);
        try {
            return JSON.writeValueAsBytes(unsigned);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            names.sort(null);
            ObjectNode out = JSON.createObjectNode();
            for (String name : names) {
                out.set(name, sorted(node.get(name)));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JSON.createArrayNode();
            for (JsonNode element : node) {
                out.add(sorted(element));
            }
            return out;
        }
        return node;
    }
}
