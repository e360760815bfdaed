package io.huiqi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Every failure of the library: one exception type carrying the {@link ErrorKind} and
 * where (a request argument or JSON path, the policy file, policy, line and column, the
 * item of a batch), as the failure envelope of the operation layer gives them. A failure
 * with several errors (a policy set with three mistakes) keeps them all in {@link #errors()};
 * the first one is the exception's own kind and place.
 */
public class HuiqiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** One error of a failure envelope. */
    public static final class Error {
        private final ErrorKind kind;
        private final String message;
        private final String path;
        private final String origin;
        private final String policy;
        private final Integer line;
        private final Integer column;
        private final Integer item;
        private final String hint;

        Error(ErrorKind kind, String message, String path, String origin, String policy, Integer line, Integer column, Integer item, String hint) {
            this.kind = kind;
            this.message = message;
            this.path = path;
            this.origin = origin;
            this.policy = policy;
            this.line = line;
            this.column = column;
            this.item = item;
            this.hint = hint;
        }

        static Error of(Map<?, ?> e) {
            return new Error(ErrorKind.of(str(e.get("kind"))), str(e.get("message")), str(e.get("path")), str(e.get("origin")),
                    str(e.get("policy")), num(e.get("line")), num(e.get("column")), num(e.get("item")), str(e.get("hint")));
        }

        public ErrorKind kind() { return kind; }
        public String message() { return message; }
        /** A request argument ({@code as_of}), a JSON path in a profile ({@code $.employees.2024}), or the part of a policy; null when none. */
        public String path() { return path; }
        /** The file (or other origin) of a policy text; null when none. */
        public String origin() { return origin; }
        /** The policy id; null when none. */
        public String policy() { return policy; }
        /** 1-based line in a policy text or of a JSON-lines batch; null when none. */
        public Integer line() { return line; }
        /** 1-based column, in characters; null when none. */
        public Integer column() { return column; }
        /** 0-based position in a request's array; null when none. */
        public Integer item() { return item; }
        /** What was probably meant ({@code did you mean "registered_capital"?}); null when none. */
        public String hint() { return hint; }

        /** The error on one line, as a person reads it: {@code origin: policy: line:column: message (hint)}. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            if (origin != null) sb.append(origin).append(": ");
            if (policy != null) sb.append(policy).append(": ");
            if (line != null && column != null) sb.append(line).append(':').append(column).append(": ");
            else if (line != null) sb.append("line ").append(line).append(": ");
            else if (item != null) sb.append("item ").append(item).append(": ");
            if (path != null && line == null) sb.append(path).append(": ");
            sb.append(message);
            if (hint != null) sb.append(" (").append(hint).append(')');
            return sb.toString();
        }
    }

    private final List<Error> errors;
    private final String envelope;

    /** From a failure envelope (what the natives throw with). */
    public HuiqiException(String envelope) {
        this(parse(envelope), envelope, null);
    }

    HuiqiException(ErrorKind kind, String message, String path) {
        this(Collections.singletonList(new Error(kind, message, path, null, null, null, null, null, null)), null, null);
    }

    HuiqiException(ErrorKind kind, String message, Throwable cause) {
        this(Collections.singletonList(new Error(kind, message, null, null, null, null, null, null, null)), null, cause);
    }

    private HuiqiException(List<Error> errors, String envelope, Throwable cause) {
        super(describe(errors), cause);
        this.errors = Collections.unmodifiableList(errors);
        this.envelope = envelope;
    }

    static HuiqiException request(String path, String message) {
        return new HuiqiException(ErrorKind.REQUEST, message, path);
    }

    private static List<Error> parse(String envelope) {
        List<Error> out = new ArrayList<>();
        try {
            Object errs = Json.parseObject(envelope).get("errors");
            if (errs instanceof List) {
                for (Object e : (List<?>) errs) {
                    if (e instanceof Map) {
                        out.add(Error.of((Map<?, ?>) e));
                    }
                }
            }
        } catch (HuiqiException e) {
            out.add(new Error(ErrorKind.INTERNAL, "an unreadable failure: " + envelope, null, null, null, null, null, null, null));
        }
        if (out.isEmpty()) {
            out.add(new Error(ErrorKind.INTERNAL, "a failure without errors: " + envelope, null, null, null, null, null, null, null));
        }
        return out;
    }

    private static String describe(List<Error> errors) {
        StringBuilder sb = new StringBuilder();
        sb.append(errors.get(0).kind().wire()).append(": ").append(errors.get(0));
        if (errors.size() > 1) {
            sb.append(" (and ").append(errors.size() - 1).append(" more)");
        }
        return sb.toString();
    }

    private static String str(Object o) {
        return o instanceof String ? (String) o : null;
    }

    private static Integer num(Object o) {
        return o instanceof Long && (Long) o <= Integer.MAX_VALUE ? Integer.valueOf(((Long) o).intValue()) : null;
    }

    /** The kind of the first error. */
    public ErrorKind kind() { return errors.get(0).kind(); }
    /** Where the first error is (see {@link Error#path()}). */
    public String path() { return errors.get(0).path(); }
    public String policy() { return errors.get(0).policy(); }
    public String origin() { return errors.get(0).origin(); }
    public Integer line() { return errors.get(0).line(); }
    public Integer column() { return errors.get(0).column(); }
    public String hint() { return errors.get(0).hint(); }
    /** Every error of the failure, in order. */
    public List<Error> errors() { return errors; }
    /** The failure envelope as the engine wrote it (the same bytes as C, Python and the CLI's {@code --json}); null for failures raised in Java. */
    public String envelope() { return envelope; }
}
