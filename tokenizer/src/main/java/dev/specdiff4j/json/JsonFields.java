package dev.specdiff4j.json;

import java.util.List;
import java.util.Map;

/** Typed access to the fields of a JSON object read from a file, with errors that name the file and the field. */
public final class JsonFields {
    private final String source;
    private final Map<String, Object> map;

    public JsonFields(String source, Map<String, Object> map) {
        this.source = source;
        this.map = map;
    }

    public Map<String, Object> map() {
        return map;
    }

    public Object raw(String key) {
        return map.get(key);
    }

    @SuppressWarnings("unchecked")
    public JsonFields object(String key) {
        Object v = map.get(key);
        if (!(v instanceof Map)) throw wrong(key, "an object", v);
        return new JsonFields(source, (Map<String, Object>) v);
    }

    @SuppressWarnings("unchecked")
    public List<Object> array(String key) {
        Object v = map.get(key);
        if (!(v instanceof List)) throw wrong(key, "an array", v);
        return (List<Object>) v;
    }

    @SuppressWarnings("unchecked")
    public List<Object> arrayOr(String key) {
        Object v = map.get(key);
        if (v == null) return List.of();
        if (!(v instanceof List)) throw wrong(key, "an array", v);
        return (List<Object>) v;
    }

    public String string(String key) {
        Object v = map.get(key);
        if (!(v instanceof String s)) throw wrong(key, "a string", v);
        return s;
    }

    public String stringOr(String key, String fallback) {
        Object v = map.get(key);
        if (v == null) return fallback;
        if (!(v instanceof String s)) throw wrong(key, "a string", v);
        return s;
    }

    public boolean boolOr(String key, boolean fallback) {
        Object v = map.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw wrong(key, "true or false", v);
        return b;
    }

    public int integer(String key) {
        Object v = map.get(key);
        if (!(v instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) throw wrong(key, "a non-negative integer", v);
        return (int) (long) l;
    }

    /** An integer field, or {@code fallback} when absent or null. */
    public int integerOr(String key, int fallback) {
        return map.get(key) == null ? fallback : integer(key);
    }

    /** A number field (integer or not). */
    public double number(String key) {
        Object v = map.get(key);
        if (!(v instanceof Number n)) throw wrong(key, "a number", v);
        return n.doubleValue();
    }

    public double numberOr(String key, double fallback) {
        return map.get(key) == null ? fallback : number(key);
    }

    public boolean has(String key) {
        return map.get(key) != null;
    }

    public String source() {
        return source;
    }

    private JsonException wrong(String key, String expected, Object found) {
        return new JsonException(source + ": field '" + key + "' should be " + expected + " but is "
                + (found == null ? "missing" : Json.typeName(found)));
    }
}
