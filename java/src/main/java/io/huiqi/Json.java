package io.huiqi;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer, so that the package has no runtime dependency. The
 * engine's answers are read into {@code Map<String, Object>} (insertion order kept),
 * {@code List<Object>}, {@code String}, {@code Long} (integers that fit; {@code BigInteger}
 * beyond), {@code Double} (numbers with a fraction or exponent), {@code Boolean} and
 * {@code null}. Applications that use Jackson or Gson can take the {@code …Json} methods'
 * text instead.
 *
 * <p>Strict: one value, nothing after it; a key given twice, a lone surrogate escape or
 * nesting deeper than 512 levels is an error ({@link HuiqiException} of kind {@code json}),
 * never a silently different value.
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** Reads one JSON value. */
    public static Object parse(String text) {
        if (text == null) {
            throw HuiqiException.request("json", "the JSON text is null");
        }
        Json p = new Json(text);
        p.space();
        Object value = p.value(0);
        p.space();
        if (p.at != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return value;
    }

    /** Reads a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw HuiqiException.request("json", "expected a JSON object");
        }
        return (Map<String, Object>) v;
    }

    private HuiqiException error(String what) {
        return new HuiqiException(ErrorKind.JSON, "not valid JSON at character " + (at + 1) + ": " + what, (String) null);
    }

    private void space() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("the text ends early");
        }
        return text.charAt(at);
    }

    private void expect(String word) {
        if (!text.startsWith(word, at)) {
            throw error("expected " + word);
        }
        at += word.length();
    }

    private Object value(int depth) {
        if (depth >= MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
        char c = peek();
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                expect("true");
                return Boolean.TRUE;
            case 'f':
                expect("false");
                return Boolean.FALSE;
            case 'n':
                expect("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object(int depth) {
        at++;
        Map<String, Object> out = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            at++;
            return out;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("expected a key in quotes");
            }
            String key = string();
            space();
            expect(":");
            space();
            Object v = value(depth + 1);
            if (out.containsKey(key)) {
                throw error("the key \"" + key + "\" appears twice");
            }
            out.put(key, v);
            space();
            char c = peek();
            at++;
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                at--;
                throw error("expected , or }");
            }
        }
    }

    private List<Object> array(int depth) {
        at++;
        List<Object> out = new ArrayList<>();
        space();
        if (peek() == ']') {
            at++;
            return out;
        }
        while (true) {
            space();
            out.add(value(depth + 1));
            space();
            char c = peek();
            at++;
            if (c == ']') {
                return out;
            }
            if (c != ',') {
                at--;
                throw error("expected , or ]");
            }
        }
    }

    private String string() {
        at++;
        StringBuilder sb = null;
        int start = at;
        while (true) {
            char c = peek();
            if (c == '"') {
                String s = sb == null ? text.substring(start, at) : sb.append(text, start, at).toString();
                at++;
                return s;
            }
            if (c < 0x20) {
                throw error("a control character inside a string");
            }
            if (c == '\\') {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(text, start, at);
                at++;
                char e = peek();
                at++;
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': {
                        char u = hex4();
                        if (Character.isHighSurrogate(u)) {
                            if (!text.startsWith("\\u", at)) {
                                throw error("a lone surrogate escape");
                            }
                            at += 2;
                            char low = hex4();
                            if (!Character.isLowSurrogate(low)) {
                                throw error("a lone surrogate escape");
                            }
                            sb.append(u).append(low);
                        } else if (Character.isLowSurrogate(u)) {
                            throw error("a lone surrogate escape");
                        } else {
                            sb.append(u);
                        }
                        break;
                    }
                    default:
                        at--;
                        throw error("an unknown escape \\" + e);
                }
                start = at;
            } else {
                at++;
            }
        }
    }

    private char hex4() {
        if (at + 4 > text.length()) {
            throw error("a \\u escape needs four hex digits");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(at + i), 16);
            if (d < 0) {
                throw error("a \\u escape needs four hex digits");
            }
            v = v * 16 + d;
        }
        at += 4;
        return (char) v;
    }

    private Object number() {
        int start = at;
        boolean fraction = false;
        if (peek() == '-') {
            at++;
        }
        digits(true);
        if (at < text.length() && text.charAt(at) == '.') {
            fraction = true;
            at++;
            digits(false);
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
            fraction = true;
            at++;
            if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                at++;
            }
            digits(false);
        }
        String s = text.substring(start, at);
        if (fraction) {
            Double d = Double.valueOf(s);
            if (d.isInfinite()) {
                at = start;
                throw error("the number " + s + " is too large for a double");
            }
            return d;
        }
        if (s.length() < 19) {
            return Long.valueOf(s);
        }
        BigInteger big = new BigInteger(s);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private void digits(boolean integerPart) {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        if (at == start) {
            throw error("expected a digit");
        }
        if (integerPart && at - start > 1 && text.charAt(start) == '0') {
            throw error("a number with a leading zero");
        }
    }

    /** Writes {@code value} (maps, collections, arrays of strings, strings, numbers, booleans, null) as compact JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object value, int depth) {
        if (depth >= MAX_DEPTH) {
            throw HuiqiException.request("json", "a value nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        }
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String) {
            quote(sb, (String) value);
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger || value instanceof BigDecimal) {
            sb.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw HuiqiException.request("json", "JSON has no " + d);
            }
            sb.append(value);
        } else if (value instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (!(e.getKey() instanceof String)) {
                    throw HuiqiException.request("json", "a JSON object's keys are strings, not " + e.getKey());
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                quote(sb, (String) e.getKey());
                sb.append(':');
                write(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (value instanceof Collection || value instanceof Object[]) {
            Collection<?> items = value instanceof Collection ? (Collection<?>) value : java.util.Arrays.asList((Object[]) value);
            sb.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(sb, item, depth + 1);
            }
            sb.append(']');
        } else {
            throw HuiqiException.request("json", "cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    /** {@code s} as a JSON string literal. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        quote(sb, s);
        return sb.toString();
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20 || (Character.isSurrogate(c) && !pairedAt(s, i))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    /** Whether the surrogate at {@code i} is half of a pair (a lone one is escaped, so the text stays valid UTF-8). */
    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
