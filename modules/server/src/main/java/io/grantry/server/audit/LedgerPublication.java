package io.grantry.server.audit;

import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.server.config.LedgerSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.tracing.TracingPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes each new signed tree head, besides serving it at {@code /ledger/checkpoint}: as a file
 * in a directory (GRANTRY_LEDGER_PUBLISH_DIR: {@code checkpoint}, replaced atomically, and {@code
 * heads/<size>}, for anyone who mirrors or archives them), and to a witness
 * (GRANTRY_LEDGER_WITNESS_URL) with the C2SP tlog-witness {@code add-checkpoint} call: the size the
 * witness last cosigned, the consistency proof from it, and the note. The cosignatures it returns
 * are checked with its key and stored with the head, so {@code /ledger/checkpoint} serves them too.
 * A failure to publish is logged and never fails the checkpoint.
 */
final class LedgerPublication {
  private static final Logger log = LoggerFactory.getLogger(LedgerPublication.class);
  private static final String SIZE_TYPE = "text/x.tlog.size";

  private final Vertx vertx;
  private final LedgerTree tree;
  private final Optional<Path> directory;
  private final LedgerSettings.Witness witness;
  private final HttpClient http;
  // The size of the last head the witness cosigned, as far as this process knows (0: unknown; its
  // 409 answer then says).
  private long witnessSize;

  LedgerPublication(Vertx vertx, LedgerTree tree, LedgerSettings settings) {
    this.vertx = vertx;
    this.tree = tree;
    this.directory = settings.publishDirectory();
    this.witness = settings.witness().orElse(null);
    this.http =
        witness == null
            ? null
            : vertx.createHttpClient(
                new HttpClientOptions()
                    .setConnectTimeout(5000)
                    .setIdleTimeout(30)
                    // Another party's host: our trace context stays here (GRANTRY_OTEL_ENDPOINT).
                    .setTracingPolicy(TracingPolicy.IGNORE));
  }

  Future<Void> publish(Checkpoint c) {
    String note = c.tree() == null ? null : c.tree().note();
    if (note == null) {
      return Future.succeededFuture();
    }
    Future<Void> file =
        directory.isEmpty()
            ? Future.succeededFuture()
            : vertx
                .<Void>executeBlocking(
                    () -> {
                      write(directory.get(), c.count(), note);
                      return null;
                    },
                    false)
                .recover(
                    err -> {
                      log.warn(
                          "The tree head of size {} could not be written to {}: {}",
                          c.count(),
                          directory.get(),
                          err.toString());
                      return Future.succeededFuture();
                    });
    Future<Void> cosigned =
        http == null
            ? Future.succeededFuture()
            : submit(c.count(), note, true)
                .recover(
                    err -> {
                      log.warn(
                          "The witness at {} did not cosign the tree head of size {}: {}",
                          witness.url(),
                          c.count(),
                          err.getMessage());
                      return Future.succeededFuture();
                    });
    return Future.all(file, cosigned).mapEmpty();
  }

  private static void write(Path dir, long size, String note) throws Exception {
    Files.createDirectories(dir.resolve("heads"));
    Files.writeString(
        dir.resolve("heads").resolve(Long.toString(size)), note, StandardCharsets.UTF_8);
    Path tmp = dir.resolve("checkpoint.tmp");
    Files.writeString(tmp, note, StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve("checkpoint"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** POST add-checkpoint; on 409 (the witness knows another old size) once more from its size. */
  private Future<Void> submit(long size, String note, boolean retry) {
    long old;
    synchronized (this) {
      old = witnessSize <= size ? witnessSize : 0;
    }
    Future<List<byte[]>> proof =
        old == 0
            ? Future.succeededFuture(List.of())
            : tree.head(size).compose(h -> tree.consistency(old, h.orElseThrow()));
    return proof.compose(
        path -> {
          StringBuilder body = new StringBuilder("old ").append(old).append('\n');
          path.forEach(h -> body.append(Base64.getEncoder().encodeToString(h)).append('\n'));
          body.append('\n').append(note);
          RequestOptions req =
              new RequestOptions()
                  .setMethod(HttpMethod.POST)
                  .setAbsoluteURI(witness.url() + "/add-checkpoint")
                  .setIdleTimeout(10_000)
                  .putHeader("Content-Type", "text/plain; charset=utf-8");
          return http.request(req)
              .compose(r -> r.send(Buffer.buffer(body.toString(), "UTF-8")))
              .compose(
                  resp ->
                      resp.body()
                          .compose(
                              b -> {
                                String text = b.toString(StandardCharsets.UTF_8);
                                if (resp.statusCode() == 200) {
                                  return cosigned(size, note, text);
                                }
                                if (resp.statusCode() == 409
                                    && retry
                                    && String.valueOf(resp.getHeader("Content-Type"))
                                        .startsWith(SIZE_TYPE)) {
                                  long theirs;
                                  try {
                                    theirs = Long.parseLong(text.strip());
                                  } catch (NumberFormatException e) {
                                    return Future.failedFuture("409 with a malformed size");
                                  }
                                  if (theirs > size) {
                                    return Future.failedFuture(
                                        "the witness has cosigned a larger tree ("
                                            + theirs
                                            + ") than this head ("
                                            + size
                                            + ")");
                                  }
                                  synchronized (this) {
                                    witnessSize = theirs;
                                  }
                                  return submit(size, note, false);
                                }
                                return Future.failedFuture(
                                    resp.statusCode()
                                        + " "
                                        + text.strip().replaceAll("[\\r\\n]+", " "));
                              }));
        });
  }

  /** Keeps the witness's cosignature lines that verify with its key. */
  private Future<Void> cosigned(long size, String note, String answer) {
    String text = SignedNote.parse(note).text();
    StringBuilder kept = new StringBuilder();
    for (String line : answer.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      SignedNote.Line l;
      try {
        l = SignedNote.line(line);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture("the witness answered a malformed signature line");
      }
      NoteKey key = witness.key();
      if (key.matches(l)) {
        if (!key.verifies(l, text)) {
          return Future.failedFuture("the witness's cosignature does not verify with its key");
        }
        kept.append(l.encode());
      }
    }
    if (kept.length() == 0) {
      return Future.failedFuture("the witness answered no cosignature of its key");
    }
    synchronized (this) {
      witnessSize = Math.max(witnessSize, size);
    }
    return tree.addCosignatures(size, kept.toString());
  }
}
