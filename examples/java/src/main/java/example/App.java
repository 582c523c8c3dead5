package example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import example.greet.Greet;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The example's HTTP API: GET / (greeting) and GET /stats?values=1,2,3.
 * {@code --self-test} serves on a loopback port, asks both routes once, prints the answers and
 * exits, so a container without a network can show that it works.
 */
public final class App {
    /** Status and JSON body for a request path with its query. */
    static String[] respond(String path, String query) {
        if (path.equals("/")) return new String[] {"200", "{\"message\":\"" + Greet.greeting("stage lens") + "\"}"};
        if (path.equals("/stats")) {
            String values = "";
            for (String kv : (query == null ? "" : query).split("&")) if (kv.startsWith("values=")) values = kv.substring(7);
            double[] v = Arrays.stream(values.split(",")).filter(s -> !s.isEmpty()).mapToDouble(Double::parseDouble).toArray();
            return new String[] {"200", Greet.statsJson(v)};
        }
        return new String[] {"404", ""};
    }

    private static void handle(HttpExchange ex) throws IOException {
        String[] r = respond(ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery());
        byte[] body = r[1].getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(Integer.parseInt(r[0]), body.length == 0 ? -1 : body.length);
        try (OutputStream os = ex.getResponseBody()) { os.write(body); }
    }

    public static void main(String[] args) throws Exception {
        boolean selfTest = Arrays.asList(args).contains("--self-test");
        HttpServer server = HttpServer.create(new InetSocketAddress(selfTest ? "127.0.0.1" : "0.0.0.0", selfTest ? 0 : 8080), 0);
        server.createContext("/", App::handle);
        server.start();
        if (!selfTest) { System.out.println("listening on 8080"); return; }
        HttpClient client = HttpClient.newHttpClient();
        for (String p : new String[] {"/", "/stats?values=2,4,4,4,5,5,7,9"}) {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + p);
            HttpResponse<String> res = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println(p + " " + res.statusCode() + " " + res.body());
        }
        server.stop(0);
    }
}
