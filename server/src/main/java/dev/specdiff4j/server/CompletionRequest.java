package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.json.JsonException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed, validated POST /v1/completions body. Every problem is a 400 that says which field is wrong and
 * why. Fields OpenAI defines but specdiff4j does not implement are accepted only at their neutral value;
 * fields the server does not know are ignored, as OpenAI and llama-server do (clients send their own
 * extensions), while every known field is still checked.
 *
 * <p>Speculative settings go in the extension object {@code "specdiff4j": {"mode": "ar|sd|specdiff",
 * "gamma": 8, "steps": 2, "verify": "greedy|strict|marginal", "adaptive": [min, max], "tree": 16 | "auto"}}, whose keys
 * are checked strictly (a misspelt one is an error).
 *
 * @param logprobs how many alternatives to list per token with its log-probability; -1: no log-probabilities
 */
record CompletionRequest(String prompt, int[] promptTokens, boolean stream, GenerationConfig config, int logprobs) {
    /** The most alternatives per token the legacy completions API lists (OpenAI's limit). */
    static final int MAX_COMPLETION_LOGPROBS = 5;
    /** Stands in for bytes that are not UTF-8 while the field that holds them is looked for. */
    private static final String NOT_UTF8 = "\uFFFF";
    private static final Set<String> EXTENSION = Set.of("mode", "gamma", "steps", "verify", "adaptive", "overlap", "window", "exact_drafting", "tree");

    static CompletionRequest parse(byte[] body, ServerSettings settings) {
        Map<String, Object> json = parseJson(body);
        String prompt = null;
        int[] tokens = null;
        Object p = json.get("prompt");
        if (p instanceof String s) {
            prompt = s;
        } else if (p instanceof List<?> list && list.size() == 1 && list.get(0) instanceof String s) {
            prompt = s;
        } else if (p instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(o -> o instanceof Long)) {
            tokens = new int[list.size()];
            for (int i = 0; i < tokens.length; i++) {
                long id = (Long) list.get(i);
                if (id < 0 || id > Integer.MAX_VALUE) throw ApiError.invalid("prompt", "'prompt' holds token id " + id + ", which is outside the vocabulary");
                tokens[i] = (int) id;
            }
        } else if (p == null) {
            throw ApiError.invalid("prompt", "'prompt' is required");
        } else {
            throw ApiError.invalid("prompt", "'prompt' must be a string (or one string in an array, or an array of token ids)");
        }
        if (prompt != null && prompt.isEmpty()) throw ApiError.invalid("prompt", "'prompt' is empty");

        int maxTokens = integer(json, "max_tokens", 16, 1, settings.maxTokensLimit());
        if (integer(json, "best_of", 1, 1, Integer.MAX_VALUE) != 1) throw ApiError.invalid("best_of", "only best_of = 1 is supported");
        if (bool(json, "echo", false)) throw ApiError.invalid("echo", "'echo' is not supported");
        int logprobs = json.get("logprobs") == null ? -1 : integer(json, "logprobs", 0, 0, MAX_COMPLETION_LOGPROBS);
        if (json.get("suffix") != null) throw ApiError.invalid("suffix", "'suffix' is not supported");
        boolean stream = bool(json, "stream", false);
        GenerationConfig config = config(json, settings, maxTokens);
        return new CompletionRequest(prompt, tokens, stream, config, logprobs);
    }

    /**
     * The generation settings both APIs share: sampling, n, penalties, logit_bias, user, stream_options, stop
     * and the specdiff4j extension.
     */
    static GenerationConfig config(Map<String, Object> json, ServerSettings settings, int maxTokens) {
        double temperature = number(json, "temperature", 1.0, 0, 2);
        double topP = number(json, "top_p", 1.0, 0, 1);
        if (topP == 0) throw ApiError.invalid("top_p", "'top_p' must be greater than 0 and at most 1, got " + json.get("top_p"));
        int topK = integer(json, "top_k", 0, 0, 1_000_000);
        long seed = json.containsKey("seed") && json.get("seed") != null ? longValue(json, "seed") : 0;
        if (integer(json, "n", 1, 1, Integer.MAX_VALUE) != 1) throw ApiError.invalid("n", "only n = 1 is supported");
        if (number(json, "presence_penalty", 0, -2, 2) != 0) throw ApiError.invalid("presence_penalty", "penalties are not supported");
        if (number(json, "frequency_penalty", 0, -2, 2) != 0) throw ApiError.invalid("frequency_penalty", "penalties are not supported");
        if (json.get("logit_bias") instanceof Map<?, ?> m && !m.isEmpty()) throw ApiError.invalid("logit_bias", "'logit_bias' is not supported");
        if (json.get("model") != null && !(json.get("model") instanceof String)) throw ApiError.invalid("model", "'model' must be a string");
        if (json.get("user") != null && !(json.get("user") instanceof String)) throw ApiError.invalid("user", "'user' must be a string");
        List<String> stop = stops(json.get("stop"));
        includeUsage(json);

        Map<String, Object> ext = Map.of();
        if (json.get("specdiff4j") instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cast = (Map<String, Object>) m;
            ext = cast;
            for (String key : ext.keySet()) {
                if (!EXTENSION.contains(key)) throw ApiError.invalid("specdiff4j." + key, "unknown field 'specdiff4j." + key + "'");
            }
        } else if (json.get("specdiff4j") != null) {
            throw ApiError.invalid("specdiff4j", "'specdiff4j' must be an object");
        }
        Mode mode = settings.defaultMode();
        if (ext.get("mode") != null) {
            try {
                mode = Mode.parse(string(ext, "specdiff4j.mode"));
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("specdiff4j.mode", e.getMessage());
            }
        }
        int gamma = integer(ext, "specdiff4j.gamma", settings.defaultGamma(), 1, settings.maxGamma());
        int steps = integer(ext, "specdiff4j.steps", settings.defaultSteps(), 1, settings.maxSteps());
        SamplingConfig sampling = new SamplingConfig(temperature, topK, topP, seed);
        AcceptancePolicy verify = sampling.isGreedy() ? AcceptancePolicy.GREEDY : AcceptancePolicy.STRICT;
        if (ext.get("verify") != null) {
            try {
                verify = AcceptancePolicy.parse(string(ext, "specdiff4j.verify"));
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("specdiff4j.verify", e.getMessage());
            }
            if (verify == AcceptancePolicy.GREEDY && !sampling.isGreedy()) {
                throw ApiError.invalid("specdiff4j.verify", "'specdiff4j.verify' greedy needs 'temperature' 0; use strict or marginal when sampling");
            }
        }
        GenerationConfig.AdaptiveGamma adaptive = null;
        if (ext.get("adaptive") != null) {
            if (!(ext.get("adaptive") instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Long lo) || !(l.get(1) instanceof Long hi)
                    || lo < 1 || hi > settings.maxGamma() || lo > hi) {
                throw ApiError.invalid("specdiff4j.adaptive", "'adaptive' must be [min, max] with 1 <= min <= max <= " + settings.maxGamma());
            }
            adaptive = new GenerationConfig.AdaptiveGamma((int) (long) lo, (int) (long) hi);
            gamma = Math.max(adaptive.min(), Math.min(adaptive.max(), gamma));
        }
        int window = integer(ext, "specdiff4j.window", DraftingConfig.defaults().window(), 1, 4096);
        boolean exact = bool(ext, "specdiff4j.exact_drafting", false);
        boolean overlap = bool(ext, "specdiff4j.overlap", false);
        int tree = GenerationConfig.DEFAULT_TREE;
        if (ext.get("tree") != null) {
            Object t = ext.get("tree");
            if (t instanceof Long l && l >= 0 && l <= 1024) tree = (int) (long) l;
            else if ("auto".equals(t)) tree = GenerationConfig.TREE_AUTO;
            else if ("chain".equals(t)) tree = GenerationConfig.TREE_CHAIN;
            else throw ApiError.invalid("specdiff4j.tree", "'tree' must be a node budget from 0 (off) to 1024, \"auto\" or \"chain\"");
        }
        GenerationConfig config;
        try {
            config = GenerationConfig.builder().mode(mode).maxTokens(maxTokens).sampling(sampling).gamma(gamma).steps(steps).verify(verify)
                    .adaptive(adaptive).overlap(overlap).drafting(new DraftingConfig(window, false, !exact)).stop(stop).stopAtEos(true).tree(tree).build();
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("specdiff4j", e.getMessage());
        }
        return config;
    }

    /** stream_options.include_usage: whether a stream ends with a chunk that holds the usage. */
    static boolean includeUsage(Map<String, Object> json) {
        Object options = json.get("stream_options");
        if (options == null) return false;
        if (!(options instanceof Map<?, ?> m)) throw ApiError.invalid("stream_options", "'stream_options' must be an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> cast = (Map<String, Object>) m;
        return bool(cast, "stream_options.include_usage", false);
    }

    /**
     * The body as a JSON object. Bytes that are not UTF-8 are decoded to a marker first, so that the error
     * can name the field that holds them.
     */
    static Map<String, Object> parseJson(byte[] body) {
        String text;
        boolean notUtf8 = false;
        try {
            text = decoder(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            notUtf8 = true;
            try {
                text = decoder(CodingErrorAction.REPLACE).replaceWith(NOT_UTF8).decode(ByteBuffer.wrap(body)).toString();
            } catch (CharacterCodingException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        Map<String, Object> json;
        try {
            json = Json.parseObject(text);
        } catch (JsonException e) {
            if (notUtf8) throw ApiError.invalid(null, "the request body is not valid UTF-8");
            throw ApiError.invalid(null, "the request body is not a valid JSON object: " + e.getMessage());
        }
        checkText(json, null, notUtf8);
        if (notUtf8) throw ApiError.invalid(null, "the request body is not valid UTF-8");
        return json;
    }

    private static CharsetDecoder decoder(CodingErrorAction onError) {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(onError).onUnmappableCharacter(onError);
    }

    /** Refuses text that is not valid Unicode: bytes that were not UTF-8, or a lone surrogate from a "\\ud800" escape. */
    private static void checkText(Object value, String field, boolean notUtf8) {
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = (String) e.getKey();
                String path = field == null ? key : field + "." + key;
                checkString(key, path, notUtf8);
                checkText(e.getValue(), path, notUtf8);
            }
        } else if (value instanceof List<?> list) {
            for (Object o : list) checkText(o, field, notUtf8);
        } else if (value instanceof String s) {
            checkString(s, field, notUtf8);
        }
    }

    private static void checkString(String s, String field, boolean notUtf8) {
        if (notUtf8 && s.contains(NOT_UTF8)) throw ApiError.invalid(field, "'" + field + "' is not valid UTF-8");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiError.invalid(field, "'" + field + "' holds an unpaired surrogate (\\u" + Integer.toHexString(c)
                        + "), which is not valid Unicode text");
            }
        }
    }

    private static List<String> stops(Object value) {
        if (value == null) return List.of();
        List<String> stops = new ArrayList<>();
        if (value instanceof String s) {
            stops.add(s);
        } else if (value instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s)) throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
                stops.add(s);
            }
        } else {
            throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
        }
        if (stops.size() > 4) throw ApiError.invalid("stop", "at most 4 stop strings are allowed");
        for (String s : stops) if (s.isEmpty()) throw ApiError.invalid("stop", "a stop string must not be empty");
        return stops;
    }

    /** The key of a field in its own object: "specdiff4j.gamma" → "gamma". */
    private static String key(String field) {
        return field.substring(field.lastIndexOf('.') + 1);
    }

    static int integer(Map<String, Object> json, String key, int fallback, int min, int max) {
        Object v = json.get(key(key));
        if (v == null) return fallback;
        if (!(v instanceof Long l)) throw ApiError.invalid(key, "'" + key + "' must be an integer, not " + Json.typeName(v));
        if (l < min || l > max) throw ApiError.invalid(key, "'" + key + "' must be between " + min + " and " + max + ", got " + l);
        return (int) (long) l;
    }

    static long longValue(Map<String, Object> json, String key) {
        Object v = json.get(key(key));
        if (!(v instanceof Long l)) throw ApiError.invalid(key, "'" + key + "' must be an integer, not " + Json.typeName(v));
        return l;
    }

    static double number(Map<String, Object> json, String key, double fallback, double min, double max) {
        Object v = json.get(key(key));
        if (v == null) return fallback;
        if (!(v instanceof Long) && !(v instanceof Double)) throw ApiError.invalid(key, "'" + key + "' must be a number, not " + Json.typeName(v));
        double d = ((Number) v).doubleValue();
        if (!(d >= min && d <= max)) throw ApiError.invalid(key, "'" + key + "' must be between " + min + " and " + max + ", got " + v);
        return d;
    }

    static boolean bool(Map<String, Object> json, String key, boolean fallback) {
        Object v = json.get(key(key));
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw ApiError.invalid(key, "'" + key + "' must be true or false, not " + Json.typeName(v));
        return b;
    }

    static String string(Map<String, Object> json, String key) {
        Object v = json.get(key(key));
        if (!(v instanceof String s)) throw ApiError.invalid(key, "'" + key + "' must be a string, not " + Json.typeName(v));
        return s;
    }
}
