package dev.specdiff4j.tokenizer;

import java.util.List;
import java.util.Map;

/** Typed access to the fields of a JSON object from a tokenizer file, with errors that name the file. */
final class JsonFields {
    private final String source;
    private final Map<String, Object> map;

    JsonFields(String source, Map<String, Object> map) {
        this.source = source;
        this.map = map;
    }

    Map<String, Object> map() {
        return map;
    }

    Object raw(String key) {
        return map.get(key);
    }

    @SuppressWarnings("unchecked")
    JsonFields object(String key) {
        Object v = map.get(key);
        if (!(v instanceof Map)) throw wrong(key, "an object", v);
        return new JsonFields(source, (Map<String, Object>) v);
    }

    @SuppressWarnings("unchecked")
    List<Object> array(String key) {
        Object v = map.get(key);
        if (!(v instanceof List)) throw wrong(key, "an array", v);
        return (List<Object>) v;
    }

    @SuppressWarnings("unchecked")
    List<Object> arrayOr(String key) {
        Object v = map.get(key);
        if (v == null) return List.of();
        if (!(v instanceof List)) throw wrong(key, "an array", v);
        return (List<Object>) v;
    }

    String string(String key) {
        Object v = map.get(key);
        if (!(v instanceof String s)) throw wrong(key, "a string", v);
        return s;
    }

    String stringOr(String key, String fallback) {
        Object v = map.get(key);
        if (v == null) return fallback;
        if (!(v instanceof String s)) throw wrong(key, "a string", v);
        return s;
    }

    boolean boolOr(String key, boolean fallback) {
        Object v = map.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw wrong(key, "true or false", v);
        return b;
    }

    int integer(String key) {
        Object v = map.get(key);
        if (!(v instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) throw wrong(key, "a non-negative integer", v);
        return (int) (long) l;
    }

    private TokenizerException wrong(String key, String expected, Object found) {
        return new TokenizerException(source, "field '" + key + "' should be " + expected + " but is "
                + (found == null ? "missing" : dev.specdiff4j.json.Json.typeName(found)));
    }
}
