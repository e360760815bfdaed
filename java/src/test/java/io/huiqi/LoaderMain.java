package io.huiqi;

/**
 * LoaderTest's child JVM: loads the native library ({@link Huiqi#version()}) and prints
 * {@code key value} lines: the version and where the library came from, or the failure's
 * kind and message, and the message of a second attempt.
 */
public final class LoaderMain {
    private LoaderMain() {}

    public static void main(String[] args) {
        try {
            System.out.println("version " + Huiqi.version());
            System.out.println("location " + Huiqi.libraryLocation());
            try (Engine e = Engine.bundled()) {
                System.out.println("ids " + e.fieldsRead().get("ids"));
            }
        } catch (HuiqiException e) {
            System.out.println("kind " + e.kind());
            System.out.println("message " + e.getMessage().replace('\n', ' '));
            try {
                Huiqi.version();
                System.out.println("again loaded");
            } catch (HuiqiException again) {
                System.out.println("again " + again.getMessage().replace('\n', ' '));
            }
        }
    }
}
