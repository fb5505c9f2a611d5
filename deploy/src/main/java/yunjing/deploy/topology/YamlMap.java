package yunjing.deploy.topology;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML mapping read through SnakeYAML's node tree rather than plain Java maps, so that every
 * value still knows its line and every error can say {@code file:line: what}.
 */
final class YamlMap {
    private final String file;
    private final String context;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    YamlMap(String file, String context, Node node) throws TopologyException {
        this.file = file;
        this.context = context;
        this.node = node;
        if (!(node instanceof MappingNode mapping)) {
            throw error(node, "expected a mapping");
        }
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                throw error(tuple.getKeyNode(), "keys must be plain names");
            }
            if (entries.put(key.getValue(), tuple) != null) {
                throw error(key, "duplicate key '" + key.getValue() + "'");
            }
        }
    }

    int line() {
        return line(node);
    }

    int lineOf(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple == null ? line() : line(tuple.getValueNode());
    }

    Set<String> keys() {
        return entries.keySet();
    }

    /** Rejects keys the schema does not know, so a typo such as {@code parnets} is not silently ignored. */
    void allowOnly(Set<String> known) throws TopologyException {
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw error(e.getValue().getKeyNode(), "unknown field '" + e.getKey() + "' (expected one of: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    boolean has(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple != null && !isNull(tuple.getValueNode());
    }

    String string(String key) throws TopologyException {
        Node value = required(key);
        if (!(value instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
            throw error(value, "'" + key + "' must be a non-empty value");
        }
        return scalar.getValue().strip();
    }

    String string(String key, String fallback) throws TopologyException {
        return has(key) ? string(key) : fallback;
    }

    int integer(String key, int fallback, int min, int max) throws TopologyException {
        if (!has(key)) {
            return fallback;
        }
        String text = string(key);
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                throw error(entries.get(key).getValueNode(),
                        "'" + key + "': " + value + " (expected: " + min + ".." + max + ")");
            }
            return value;
        } catch (NumberFormatException e) {
            throw error(entries.get(key).getValueNode(), "'" + key + "': '" + text + "' is not a whole number");
        }
    }

    boolean bool(String key, boolean fallback) throws TopologyException {
        if (!has(key)) {
            return fallback;
        }
        String text = string(key);
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error(entries.get(key).getValueNode(), "'" + key + "': '" + text
                    + "' (expected: true or false)");
        };
    }

    YamlMap map(String key) throws TopologyException {
        return new YamlMap(file, context.isEmpty() ? key : context + "." + key, required(key));
    }

    /** Each item of the sequence at {@code key} as a mapping; an absent key is an empty list. */
    List<YamlMap> maps(String key) throws TopologyException {
        List<YamlMap> result = new ArrayList<>();
        for (Node item : sequence(key)) {
            result.add(new YamlMap(file, context, item));
        }
        return result;
    }

    /** Scalars of the sequence at {@code key}; an absent key is an empty list. */
    List<String> strings(String key) throws TopologyException {
        List<String> result = new ArrayList<>();
        for (Node item : sequence(key)) {
            if (!(item instanceof ScalarNode scalar)) {
                throw error(item, "'" + key + "' must be a list of names");
            }
            result.add(scalar.getValue().strip());
        }
        return result;
    }

    /** The entries of the mapping at {@code key} as named sub-mappings (e.g. plans by name). */
    Map<String, YamlMap> namedMaps(String key) throws TopologyException {
        Map<String, YamlMap> result = new LinkedHashMap<>();
        if (!has(key)) {
            return result;
        }
        YamlMap outer = map(key);
        for (String name : outer.keys()) {
            result.put(name, outer.map(name));
        }
        return result;
    }

    TopologyException error(String message) {
        return new TopologyException(file + ":" + line() + ": " + message);
    }

    TopologyException error(String key, String message) {
        return new TopologyException(file + ":" + lineOf(key) + ": " + message);
    }

    private List<Node> sequence(String key) throws TopologyException {
        if (!has(key)) {
            return List.of();
        }
        Node value = entries.get(key).getValueNode();
        if (!(value instanceof SequenceNode seq)) {
            throw error(value, "'" + key + "' must be a list");
        }
        return seq.getValue();
    }

    private Node required(String key) throws TopologyException {
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            throw error("missing required field '" + key + "'" + (context.isEmpty() ? "" : " in " + context));
        }
        return tuple.getValueNode();
    }

    private TopologyException error(Node at, String message) {
        return new TopologyException(file + ":" + line(at) + ": " + message);
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode s && (s.getValue().isEmpty() || s.getTag().getValue().endsWith(":null"));
    }

    private static int line(Node node) {
        return node.getStartMark().getLine() + 1;  // SnakeYAML counts from 0
    }
}
