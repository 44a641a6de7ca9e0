package dev.specdiff4j.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Python string methods chat templates call ({@code message.content.startswith('<tool_response>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}) and the reversing slice {@code messages[::-1]}.
 * Jinjava resolves method calls against Java classes, where these do not exist (or, like {@code split},
 * mean something else), so inside Jinja tags the calls are rewritten to filters with Python's semantics:
 * {@code x.startswith(a)} becomes {@code x|py_startswith(a)}, {@code x[::-1]} becomes {@code x|py_reversed}.
 * A filter binds as tightly as a method call, so the expression keeps its meaning. Text outside tags and
 * string literals inside them are left as they are.
 */
final class PythonMethods {
    static final Set<String> METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split", "upper", "lower",
            "title", "capitalize");
    private static final Pattern CALL = Pattern.compile("\\.(" + String.join("|", METHODS) + ")\\(");

    private PythonMethods() {
    }

    /** The template with the method calls and reversing slices inside its tags rewritten to filters. */
    static String rewrite(String source) {
        StringBuilder out = new StringBuilder(source.length() + 64);
        int i = 0;
        while (i < source.length()) {
            int open = nextTag(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            char kind = source.charAt(open + 1);
            if (kind == '#') { // a comment: copied as it is
                int end = source.indexOf("#}", open + 2);
                end = end < 0 ? source.length() : end + 2;
                out.append(source, open, end);
                i = end;
                continue;
            }
            String close = kind == '{' ? "}}" : "%}";
            int end = closingOf(source, open + 2, close);
            out.append(source, open, open + 2).append(groupKeywordValues(subscriptsAfterCalls(rewriteCode(source.substring(open + 2, end)))));
            i = end;
        }
        return out.toString();
    }

    private static int nextTag(String s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            if (s.charAt(i) == '{' && (s.charAt(i + 1) == '{' || s.charAt(i + 1) == '%' || s.charAt(i + 1) == '#')) return i;
        }
        return -1;
    }

    /** Where the tag's code ends (the index of its closing delimiter), skipping string literals. */
    private static int closingOf(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return s.length();
    }

    /** Rewrites code outside string literals. */
    private static String rewriteCode(String code) {
        StringBuilder out = new StringBuilder(code.length() + 16);
        StringBuilder plain = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < code.length()) out.append(code.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                out.append(rewritePlain(plain.toString()));
                plain.setLength(0);
                out.append(c);
                quote = c;
            } else {
                plain.append(c);
            }
        }
        out.append(rewritePlain(plain.toString()));
        return out.toString();
    }

    /**
     * Jinjava takes no subscript after a filter ({@code x|py_split(',')[-1]}), so one that follows a rewritten
     * call becomes a filter too: {@code x|py_split(',')|py_at(-1)}.
     */
    static String subscriptsAfterCalls(String code) {
        StringBuilder out = new StringBuilder(code);
        int from = 0;
        int call;
        while ((call = out.indexOf("|py_", from)) >= 0) {
            int paren = call + 4;
            while (paren < out.length() && Character.isLetterOrDigit(out.charAt(paren)) || paren < out.length() && out.charAt(paren) == '_') paren++;
            from = paren;
            if (paren >= out.length() || out.charAt(paren) != '(') continue;
            int close = matching(out, paren);
            if (close < 0 || close + 1 >= out.length() || out.charAt(close + 1) != '[') continue;
            int end = matching(out, close + 1);
            if (end < 0) continue;
            String index = out.substring(close + 2, end);
            out.replace(close + 1, end + 1, "|py_at(" + index + ")");
        }
        return out.toString();
    }

    /** The index of the bracket that closes the one at {@code open}, skipping string literals; -1 if none. */
    private static int matching(CharSequence s, int open) {
        int depth = 0;
        char quote = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) return i;
            }
        }
        return -1;
    }

    /**
     * Puts each keyword argument's value in parentheses: Jinjava reads {@code f(n=xs|length - 1)} as
     * {@code (f(n=xs|length)) - 1}, Jinja as {@code f(n=(xs|length - 1))}.
     */
    static String groupKeywordValues(String code) {
        StringBuilder out = new StringBuilder(code.length() + 8);
        java.util.ArrayDeque<boolean[]> depth = new java.util.ArrayDeque<>(); // per open bracket: is a keyword value open in it
        char quote = 0;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < code.length()) out.append(code.charAt(++i));
                else if (c == quote) quote = 0;
                continue;
            }
            switch (c) {
                case '\'', '"' -> {
                    quote = c;
                    out.append(c);
                }
                case '(', '[', '{' -> {
                    depth.push(new boolean[] {c == '(', false});
                    out.append(c);
                }
                case ')', ']', '}' -> {
                    boolean[] top = depth.poll();
                    if (top != null && top[1]) out.append(')');
                    out.append(c);
                }
                case ',' -> {
                    boolean[] top = depth.peek();
                    if (top != null && top[1]) {
                        out.append(')');
                        top[1] = false;
                    }
                    out.append(c);
                }
                case '=' -> {
                    boolean[] top = depth.peek();
                    char prev = i > 0 ? code.charAt(i - 1) : ' ';
                    char next = i + 1 < code.length() ? code.charAt(i + 1) : ' ';
                    out.append(c);
                    if (top != null && top[0] && !top[1] && next != '=' && "=!<>".indexOf(prev) < 0) {
                        out.append('(');
                        top[1] = true;
                    }
                }
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String rewritePlain(String code) {
        String reversed = code.replaceAll("\\[\\s*:\\s*:\\s*-1\\s*]", "|py_reversed");
        Matcher m = CALL.matcher(reversed);
        return m.replaceAll(r -> "|py_" + r.group(1) + "(");
    }

    static void register(Jinjava jinjava) {
        for (String name : METHODS) jinjava.getGlobalContext().registerFilter(new StringMethod(name));
        jinjava.getGlobalContext().registerFilter(new Reversed());
        jinjava.getGlobalContext().registerFilter(new At());
    }

    /** One Python string method as a filter. */
    private record StringMethod(String name) implements Filter {
        @Override
        public String getName() {
            return "py_" + name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (!(var instanceof CharSequence)) {
                throw new ChatTemplateException("the chat template calls ." + name + "() on " + (var == null ? "an undefined value" : "a non-string"));
            }
            String s = var.toString();
            String arg = args.length > 0 && args[0] != null ? args[0].toString() : null;
            return switch (name) {
                case "startswith" -> arg != null && s.startsWith(arg);
                case "endswith" -> arg != null && s.endsWith(arg);
                case "strip" -> stripEnd(stripStart(s, arg), arg);
                case "lstrip" -> stripStart(s, arg);
                case "rstrip" -> stripEnd(s, arg);
                case "split" -> split(s, arg, args.length > 1 && args[1] != null ? ((Number) args[1]).intValue() : -1);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "title" -> title(s);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                default -> throw new IllegalStateException(name);
            };
        }
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static String stripStart(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    static String stripEnd(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.charAt(i - 1), chars)) i--;
        return s.substring(0, i);
    }

    /** Python's str.split: by a literal separator keeping empty parts, or by runs of whitespace without them. */
    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            for (String p : s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1)) if (!p.isEmpty()) parts.add(p);
            return parts;
        }
        if (separator.isEmpty()) throw new ChatTemplateException("the chat template splits by an empty separator");
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }

    /** {@code x[i]} after a rewritten call: Python indexing, negative indices counting from the end. */
    private static final class At implements Filter {
        @Override
        public String getName() {
            return "py_at";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (args.length != 1 || !(args[0] instanceof Number n)) throw new ChatTemplateException("the chat template indexes with a non-number");
            int i = n.intValue();
            int size = var instanceof List<?> l ? l.size() : var instanceof CharSequence s ? s.length() : -1;
            if (size < 0) throw new ChatTemplateException("the chat template indexes something that is neither a list nor a string");
            if (i < 0) i += size;
            if (i < 0 || i >= size) return null;
            return var instanceof List<?> l ? l.get(i) : String.valueOf(((CharSequence) var).charAt(i));
        }
    }

    /** {@code x[::-1]}: a list (or string) in reverse order. */
    private static final class Reversed implements Filter {
        @Override
        public String getName() {
            return "py_reversed";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var instanceof CharSequence s) return new StringBuilder(s).reverse().toString();
            if (var instanceof List<?> list) {
                List<Object> copy = new ArrayList<>(list);
                Collections.reverse(copy);
                return copy;
            }
            if (var == null) return List.of();
            throw new ChatTemplateException("the chat template reverses something that is neither a list nor a string");
        }
    }
}
