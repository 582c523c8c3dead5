package example;

import example.httpcheck.HttpCheck;

/** Runs with plain `java` (no test framework is available offline); a failure exits non-zero. */
public final class AppTest {
    public static void main(String[] args) {
        HttpCheck.expectContains("GET /", App.respond("/", null)[1], "hello from java");
        HttpCheck.expectContains("GET /stats", App.respond("/stats", "values=2,4,4,4,5,5,7,9")[1], "\"pstdev\":2");
        HttpCheck.expectContains("GET /nope", App.respond("/nope", null)[0], "404");
        System.out.println("AppTest: 3 checks passed");
    }
}
