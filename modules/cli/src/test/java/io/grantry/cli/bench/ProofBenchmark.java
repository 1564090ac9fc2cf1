package io.grantry.cli.bench;

import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Inclusion proofs from a running server's admin API ({@code GET /admin/audit/proofs/inclusion}),
 * one request at a time on a kept-alive connection, for events at random positions of the ledger:
 * the latency of each (client side, HTTP included), and every proof checked against the signed tree
 * head (outside the timing). Prints the tree size, the path lengths and the median, p90, p99 and
 * largest latency. ops/bench/proof.sh runs it.
 *
 * <p>Arguments: base URL, admin token, number of proofs.
 */
public final class ProofBenchmark {
  private ProofBenchmark() {}

  public static void main(String[] args) throws Exception {
    String base = args[0];
    String token = args[1];
    int n = Integer.parseInt(args[2]);
    HttpClient http = HttpClient.newHttpClient();
    SignedNote note = SignedNote.parse(get(http, base + "/ledger/checkpoint", null).body());
    List<NoteKey> keys = new ArrayList<>();
    for (String line : get(http, base + "/ledger/key", null).body().split("\n")) {
      if (!line.isBlank()) {
        keys.add(NoteKey.verifier(line));
      }
    }
    NoteKey.open(note, keys);
    TreeHead head = TreeHead.parse(note.text());
    Random random = new Random(20);
    List<Double> ms = new ArrayList<>();
    int paths = 0;
    int missing = 0;
    for (int i = -Math.min(500, n); i < n; i++) {
      long position = 1 + (long) (random.nextDouble() * (head.size() * 0.99));
      String url =
          base + "/admin/audit/proofs/inclusion?position=" + position + "&tree_size=" + head.size();
      long t0 = System.nanoTime();
      HttpResponse<String> r = get(http, url, token);
      long t1 = System.nanoTime();
      if (r.statusCode() == 404) {
        missing++; // a position the sequence skipped
        continue;
      }
      if (r.statusCode() != 200) {
        throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
      }
      InclusionProof p = InclusionProof.fromJson(new JsonObject(r.body()));
      if (!p.verify(head.root())) {
        throw new IllegalStateException("the proof of position " + position + " does not verify");
      }
      if (i >= 0) {
        ms.add((t1 - t0) / 1e6);
        paths += p.path().size();
      }
    }
    Collections.sort(ms);
    System.out.printf(
        "PROOFS %d tree_size %d path_hashes_avg %.1f median_ms %.2f p90_ms %.2f p99_ms %.2f max_ms %.2f"
            + " skipped_positions %d%n",
        ms.size(),
        head.size(),
        paths / (double) ms.size(),
        at(ms, 0.5),
        at(ms, 0.9),
        at(ms, 0.99),
        ms.get(ms.size() - 1),
        missing);
  }

  private static double at(List<Double> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
  }

  private static HttpResponse<String> get(HttpClient http, String url, String token)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
