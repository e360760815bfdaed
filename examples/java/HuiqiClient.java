// A Java client of the Huiqi decision service (huiqi serve; docs/serve.md) on the JDK's
// own HTTP client (java.net.http, Java 11+): no dependency.
//
//   javac -d target/java examples/java/HuiqiClient.java
//   java -cp target/java HuiqiClient http://127.0.0.1:8080 data/enterprises/01-quanzhi-software.json 2026-06-30 [TOKEN]
//
// Sends the profile to POST /v1/match at the verdicts level and prints the HTTP status, the
// revision of the ruleset that answered (the huiqi-revision header) and the envelope. A
// failure envelope comes with a 4xx status and says what is wrong, with its JSON path.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

public final class HuiqiClient {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: HuiqiClient BASE_URL PROFILE.json AS_OF [TOKEN]");
            System.exit(2);
        }
        String profile = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
        // The request is the operation layer's `match` request; the profile is JSON already.
        String body = "{\"profile\": " + profile + ", \"as_of\": \"" + args[2] + "\", \"options\": {\"detail\": \"verdicts\"}}";
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(args[0] + "/v1/match"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (args.length > 3) {
            request.header("Authorization", "Bearer " + args[3]);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        System.out.println("status " + response.statusCode());
        System.out.println("revision " + response.headers().firstValue("huiqi-revision").orElse("(none)"));
        System.out.println(response.body());
        System.exit(response.statusCode() == 200 ? 0 : 1);
    }
}
