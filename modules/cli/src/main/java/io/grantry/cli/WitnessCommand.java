package io.grantry.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grantry witness}: a second party that holds proof of the same history as the log. It keeps
 * the last tree head it cosigned ({@link Witness}), checks that every new head is consistent with
 * it, and cosigns it. Two ways to be fed: {@code --follow URL} polls a server's {@code
 * /ledger/checkpoint} and fetches the consistency proof from {@code /ledger/consistency}; {@code
 * --listen HOST:PORT} serves C2SP tlog-witness {@code POST /add-checkpoint}, where a server
 * configured with GRANTRY_LEDGER_WITNESS_URL submits each head and stores the cosignature returned.
 * A head that does not extend the one held (a fork, a rollback) is refused: exit code 4 when
 * following.
 */
@Command(
    name = "witness",
    mixinStandardHelpOptions = true,
    description =
        "Witness a Grantry ledger: keep the last signed tree head, check that each new one extends it,"
            + " and cosign it; exit 4 on a fork or rollback.")
final class WitnessCommand implements Callable<Integer> {
  static final class Mode {
    @Option(
        names = "--follow",
        paramLabel = "URL",
        required = true,
        description = "The server to poll (its base URL, or its /ledger/checkpoint).")
    URI follow;

    @Option(
        names = "--listen",
        paramLabel = "HOST:PORT",
        required = true,
        description = "Serve POST /add-checkpoint (C2SP tlog-witness) here.")
    String listen;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      required = true,
      description = "The witness's key and the last head it cosigned per log.")
  Path state;

  @Option(
      names = "--log-key",
      paramLabel = "VKEY",
      description = "The log's note verifier key (from its /ledger/key). Repeatable.")
  List<String> logKeys = new ArrayList<>();

  @Option(
      names = "--log-key-file",
      paramLabel = "FILE",
      description = "A file of the log's verifier keys, one a line.")
  Path logKeyFile;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      defaultValue = "grantry-witness",
      description = "The witness's key name, on first run (default ${DEFAULT-VALUE}).")
  String name;

  @Option(
      names = "--interval",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "With --follow: seconds between polls (default ${DEFAULT-VALUE}).")
  int interval;

  @Option(names = "--once", description = "With --follow: poll once and exit.")
  boolean once;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Override
  public Integer call() throws Exception {
    Witness w = Witness.open(state, name, keys());
    System.out.println("witness key: " + w.key().verifierKey());
    if (mode.listen != null) {
      try (Listener l = listen(w, mode.listen)) {
        System.out.println("serving POST http://" + mode.listen + "/add-checkpoint");
        new CountDownLatch(1).await(); // until the process is stopped
      }
      return 0;
    }
    URI base = base(mode.follow);
    while (true) {
      Witness.Decision d;
      try {
        d = poll(w, base);
      } catch (CliFailure | IOException e) {
        if (once || e instanceof CliFailure f && f.exitCode() != 1) {
          throw e;
        }
        System.err.println("grantry: " + CliSupport.oneLine(e) + " (trying again)");
        Thread.sleep(interval * 1000L);
        continue;
      }
      System.out.println(d.outcome().name().toLowerCase() + ": " + d.message());
      if (d.outcome() == Witness.Outcome.INCONSISTENT) {
        throw new CliFailure(
            AuditCommand.TAMPERED,
            "the log's history is not the one this witness cosigned: " + d.message());
      }
      if (d.outcome() == Witness.Outcome.FORBIDDEN
          || d.outcome() == Witness.Outcome.UNKNOWN_ORIGIN) {
        throw new CliFailure(AuditCommand.TAMPERED, d.message());
      }
      if (once) {
        return 0;
      }
      Thread.sleep(interval * 1000L);
    }
  }

  private List<NoteKey> keys() throws IOException {
    List<NoteKey> out = new ArrayList<>();
    List<String> all = new ArrayList<>(logKeys);
    if (logKeyFile != null) {
      Files.readAllLines(logKeyFile).stream().filter(l -> !l.isBlank()).forEach(all::add);
    }
    for (String k : all) {
      try {
        out.add(NoteKey.verifier(k));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(2, "--log-key: " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new CliFailure(2, "give the log's verifier key (--log-key or --log-key-file)");
    }
    return out;
  }

  private static URI base(URI follow) {
    String s = follow.toString();
    for (String suffix : List.of("/ledger/checkpoint", "/")) {
      if (s.endsWith(suffix)) {
        s = s.substring(0, s.length() - suffix.length());
      }
    }
    return URI.create(s);
  }

  /** One poll: the log's newest head, and the consistency proof from the one held. */
  private Witness.Decision poll(Witness w, URI base) throws Exception {
    HttpResponse<String> cp = get(base + "/ledger/checkpoint");
    if (cp.statusCode() != 200) {
      throw new CliFailure(1, base + "/ledger/checkpoint answered " + cp.statusCode());
    }
    SignedNote note;
    TreeHead head;
    try {
      note = SignedNote.parse(cp.body());
      head = TreeHead.parse(note.text());
    } catch (IllegalArgumentException e) {
      throw new CliFailure(
          AuditCommand.TAMPERED, "the log's checkpoint is malformed: " + e.getMessage());
    }
    Optional<TreeHead> held = w.latest(head.origin());
    long old = held.map(TreeHead::size).orElse(0L);
    List<byte[]> proof = List.of();
    if (old > 0 && head.size() > old) {
      HttpResponse<String> c =
          get(base + "/ledger/consistency?first=" + old + "&second=" + head.size());
      if (c.statusCode() != 200) {
        // Not evidence of anything yet: try again at the next poll.
        throw new CliFailure(
            1,
            "the log gave no consistency proof from "
                + old
                + " to "
                + head.size()
                + ": "
                + c.statusCode());
      }
      try {
        proof = ConsistencyProof.fromJson(new JsonObject(c.body())).path();
      } catch (RuntimeException e) {
        throw new CliFailure(
            AuditCommand.TAMPERED, "the log's consistency proof is malformed: " + e.getMessage());
      }
    }
    return w.offer(note, old, proof);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A running add-checkpoint endpoint; closing stops it. */
  record Listener(HttpServer server) implements AutoCloseable {
    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Serves C2SP tlog-witness {@code POST /add-checkpoint} for {@code w} at {@code hostPort}. */
  static Listener listen(Witness w, String hostPort) throws IOException {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new CliFailure(2, "--listen takes HOST:PORT, e.g. 127.0.0.1:8090");
    }
    HttpServer s =
        HttpServer.create(
            new InetSocketAddress(
                hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
            16);
    s.setExecutor(Executors.newFixedThreadPool(2));
    s.createContext("/add-checkpoint", ex -> addCheckpoint(w, ex));
    s.start();
    return new Listener(s);
  }

  private static void addCheckpoint(Witness w, HttpExchange ex) throws IOException {
    try (ex) {
      if (!"POST".equals(ex.getRequestMethod())) {
        answer(ex, 405, "text/plain", "POST only\n");
        return;
      }
      String body;
      try (InputStream in = ex.getRequestBody()) {
        byte[] b = in.readNBytes(128 * 1024);
        body = new String(b, StandardCharsets.UTF_8);
      }
      long old;
      List<byte[]> proof = new ArrayList<>();
      SignedNote note;
      try {
        int blank = body.indexOf("\n\n");
        String[] head = body.substring(0, blank).split("\n");
        if (!head[0].matches("old (0|[1-9][0-9]{0,18})")) {
          throw new IllegalArgumentException("the first line is 'old <size>'");
        }
        old = Long.parseLong(head[0].substring(4));
        if (head.length - 1 > 63) {
          throw new IllegalArgumentException("at most 63 proof lines");
        }
        for (int i = 1; i < head.length; i++) {
          proof.add(Base64.getDecoder().decode(head[i]));
        }
        note = SignedNote.parse(body.substring(blank + 2));
      } catch (RuntimeException e) {
        answer(ex, 400, "text/plain", "malformed request: " + e.getMessage() + "\n");
        return;
      }
      Witness.Decision d = w.offer(note, old, proof);
      switch (d.outcome()) {
        case COSIGNED -> answer(ex, 200, "text/plain", d.cosignature().encode());
        case UNCHANGED -> answer(ex, 200, "text/plain", w.key().sign(note.text()).encode());
        case CONFLICT -> answer(ex, 409, "text/x.tlog.size", d.size() + "\n");
        case INCONSISTENT ->
            answer(
                ex,
                d.message().startsWith("fork: another root")
                    ? 409
                    : d.message().startsWith("rollback") ? 400 : 422,
                "text/plain",
                d.message() + "\n");
        case FORBIDDEN -> answer(ex, 403, "text/plain", d.message() + "\n");
        case UNKNOWN_ORIGIN -> answer(ex, 404, "text/plain", d.message() + "\n");
        default -> answer(ex, 400, "text/plain", d.message() + "\n");
      }
    }
  }

  private static void answer(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }
}
