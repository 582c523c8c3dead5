package example.httpcheck;

/** The example's test-only dependency: tiny assertions for the tests. */
public final class HttpCheck {
    private HttpCheck() {}

    public static void expectContains(String what, String actual, String needle) {
        if (actual == null || !actual.contains(needle)) {
            throw new AssertionError(what + ": " + actual + " does not contain " + needle);
        }
    }
}
