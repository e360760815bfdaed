package io.huiqi;

/**
 * What kind of failure a {@link HuiqiException} is: the {@code kind} of an error in a
 * failure envelope (docs/operations.md), plus {@link #LIBRARY} for a native library that
 * could not be loaded.
 */
public enum ErrorKind {
    /** A bad argument or request: a missing or unknown key, a bad value, a closed handle. */
    REQUEST("request"),
    /** Text that is not valid JSON. */
    JSON("json"),
    /** A profile that does not fit the schema. */
    PROFILE("profile"),
    /** A policy that does not check. */
    POLICY("policy"),
    /** A policy id the set does not hold (with a suggestion). */
    UNKNOWN_POLICY("unknown_policy"),
    /** A schema that does not check. */
    SCHEMA("schema"),
    /** A code table that does not check. */
    CODES("codes"),
    /** A saved policy set ({@code .hqset}) that is damaged or of another version. */
    COMPILED("compiled"),
    /** A store of enterprises that cannot be loaded or asked. */
    STORE("store"),
    /** A file or folder that cannot be read. */
    FILE("file"),
    /** A bug in the library: please report it with the message. */
    INTERNAL("internal"),
    /** The native library could not be loaded (the message says what was looked for, and where). */
    LIBRARY("library");

    private final String wire;

    ErrorKind(String wire) {
        this.wire = wire;
    }

    /** The kind as it is written in an envelope ({@code "unknown_policy"}). */
    public String wire() {
        return wire;
    }

    /** The kind written {@code wire} in an envelope; {@link #INTERNAL} for one this version does not know. */
    public static ErrorKind of(String wire) {
        for (ErrorKind k : values()) {
            if (k.wire.equals(wire)) {
                return k;
            }
        }
        return INTERNAL;
    }
}
