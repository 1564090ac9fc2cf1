package io.grantry.cli;

import io.grantry.server.audit.AsOfState;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.audit.AuditLedger.Kind;
import io.grantry.server.audit.AuditLedger.Subject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grantry audit as-of}: the state at an instant, replayed from the ledger in the database
 * ({@link AuditLedger#asOf}, the same replay as {@code GET /admin/audit/as-of}, without its cap on
 * the number of events), with progress on standard error.
 */
@Command(
    name = "as-of",
    mixinStandardHelpOptions = true,
    description =
        "The grants (with their status), access tokens (by jti), refresh tokens (by hash), consents and client"
            + " configurations valid at a past instant, replayed from the ledger; of one user or client, or of everything.")
final class AuditAsOfCommand implements Callable<Integer> {
  static final class Which {
    @Option(
        names = "--user",
        paramLabel = "USER",
        required = true,
        description = "Only this user's grants and consents (a user id or a username).")
    String user;

    @Option(
        names = "--client",
        paramLabel = "ID",
        required = true,
        description = "Only this client's grants, consents" + " and configuration.")
    String client;
  }

  @Option(
      names = "--time",
      paramLabel = "T",
      description = "An RFC 3339 date-time, e.g. 2026-11-22T09:00:00Z" + " (default: now).")
  String time;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Which which;

  @Option(names = "--json", description = "The admin API's JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Instant at;
    try {
      at = time == null ? Instant.now() : OffsetDateTime.parse(time).toInstant();
    } catch (DateTimeParseException e) {
      throw new CliFailure(2, "--time must be an RFC 3339 date-time such as 2026-11-22T09:00:00Z");
    }
    Optional<Subject> subject =
        which == null
            ? Optional.empty()
            : Optional.of(
                which.user != null
                    ? new Subject(Kind.USER, which.user)
                    : new Subject(Kind.CLIENT, which.client));
    try (CliSupport.Db db = CliSupport.Db.open()) {
      AuditLedger ledger = new AuditLedger(db.pool);
      if (subject.isPresent() && subject.get().kind() == Kind.USER) {
        subject = Optional.of(new Subject(Kind.USER, UserRefs.userId(db, subject.get().id())));
      }
      if (subject.isPresent() && !CliSupport.await(ledger.exists(subject.get()))) {
        throw new CliFailure(
            3, "no such " + subject.get().kind().noun() + " " + subject.get().id());
      }
      // The total (for the ETA) is counted for a replay of the whole ledger; one user's or client's
      // streams are few enough to need none.
      Progress progress =
          Progress.start(
              "replayed", subject.isPresent() ? 0 : CliSupport.await(ledger.countUpTo(at)));
      long[] seen = {0};
      AsOfState state =
          CliSupport.await(
              ledger.asOf(
                  subject,
                  at,
                  Long.MAX_VALUE,
                  n -> {
                    progress.add(n - seen[0]);
                    seen[0] = n;
                  }));
      progress.done();
      JsonObject j = state.toJson();
      subject.ifPresent(s -> j.put(s.kind().noun(), s.id()));
      if (json) {
        System.out.println(j.encode());
      } else {
        print(System.out, j);
      }
    }
    return 0;
  }

  static void print(PrintStream out, JsonObject j) {
    out.println(
        "As of " + j.getString("time") + " (" + j.getLong("events_replayed") + " events replayed)");
    section(
        out,
        "GRANTS",
        j.getJsonArray("grants"),
        "grant_id",
        "kind",
        "client_id",
        "user_id",
        "scope",
        "status",
        "revoked_at",
        "revoked_reason");
    section(
        out,
        "ACCESS TOKENS",
        j.getJsonArray("access_tokens"),
        "jti",
        "client_id",
        "subject",
        "scope",
        "expires_at");
    section(
        out,
        "REFRESH TOKENS",
        j.getJsonArray("refresh_tokens"),
        "hash",
        "grant_id",
        "client_id",
        "subject",
        "scope",
        "expires_at");
    section(
        out, "CONSENTS", j.getJsonArray("consents"), "user_id", "client_id", "scope", "granted_at");
    section(
        out,
        "CLIENTS",
        j.getJsonArray("clients"),
        "client_id",
        "client_name",
        "client_type",
        "redirect_uris",
        "grant_types",
        "allowed_scopes",
        "disabled");
  }

  private static void section(PrintStream out, String title, JsonArray items, String... fields) {
    out.println();
    out.println(title + " (" + items.size() + ")");
    if (items.isEmpty()) {
      return;
    }
    List<String[]> rows = new ArrayList<>();
    String[] head = new String[fields.length];
    for (int i = 0; i < fields.length; i++) {
      head[i] = fields[i].toUpperCase();
    }
    rows.add(head);
    for (Object o : items) {
      JsonObject item = (JsonObject) o;
      String[] row = new String[fields.length];
      for (int i = 0; i < fields.length; i++) {
        Object v = item.getValue(fields[i]);
        row[i] =
            v == null
                ? "-"
                : v instanceof JsonArray a
                    ? String.join(" ", a.stream().map(String::valueOf).toList())
                    : v instanceof String s ? Table.time(s) : String.valueOf(v);
      }
      rows.add(row);
    }
    Table.print(out, rows);
  }
}
