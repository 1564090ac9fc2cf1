package io.grantry.cli;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.audit.AuditLedger.Kind;
import io.grantry.server.audit.AuditLedger.Subject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grantry audit history}: the ordered history of a grant, a user or a client, read from the
 * ledger in the database ({@link AuditLedger}, the same reading as {@code GET /admin/audit/...}), a
 * page at a time; the cursor is the admin API's.
 */
@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description =
        "The events of a grant, a user (its stream, its grants, its consents) or a client (its stream,"
            + " its grants, the consents given to it) in commit order, with actor, request id and what changed.")
final class AuditHistoryCommand implements Callable<Integer> {
  static final class Which {
    @Option(names = "--grant", paramLabel = "ID", required = true, description = "A grant id.")
    String grant;

    @Option(names = "--user", paramLabel = "ID", required = true, description = "A user id.")
    String user;

    @Option(names = "--client", paramLabel = "ID", required = true, description = "A client id.")
    String client;

    Subject subject() {
      return grant != null
          ? new Subject(Kind.GRANT, grant)
          : user != null ? new Subject(Kind.USER, user) : new Subject(Kind.CLIENT, client);
    }
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Which which;

  @Option(
      names = "--limit",
      defaultValue = "50",
      description = "Events per page, 1-10000 (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--cursor", description = "Continue after the previous page (its next_cursor).")
  String cursor;

  @Option(names = "--all", description = "Every page, one after another.")
  boolean all;

  @Option(
      names = "--json",
      description =
          "The admin API's JSON: {\"items\": [...], \"next_cursor\": ...}"
              + " (with --all, one entry per line).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (limit < 1 || limit > 10_000) {
      throw new CliFailure(2, "--limit must be between 1 and 10000");
    }
    Subject subject = which.subject();
    GlobalPosition after = cursor == null ? GlobalPosition.START : decode(cursor);
    try (CliSupport.Db db = CliSupport.Db.open()) {
      AuditLedger ledger = new AuditLedger(db.pool);
      if (!CliSupport.await(ledger.exists(subject))) {
        throw new CliFailure(3, "no such " + subject.kind().noun() + " " + subject.id());
      }
      boolean header = true;
      while (true) {
        AuditLedger.HistoryPage page = CliSupport.await(ledger.history(subject, after, limit));
        String next = page.next().map(AuditHistoryCommand::encode).orElse(null);
        if (json && all) {
          page.items().forEach(i -> System.out.println(i.encode()));
        } else if (json) {
          System.out.println(
              new JsonObject()
                  .put("items", new JsonArray(page.items()))
                  .put("next_cursor", next)
                  .encode());
        } else {
          print(System.out, page.items(), header);
          header = false;
          if (next != null && !all) {
            System.err.println("more: --cursor " + next);
          }
        }
        if (!all || page.next().isEmpty()) {
          return 0;
        }
        after = page.next().get();
      }
    }
  }

  static void print(PrintStream out, List<JsonObject> items, boolean header) {
    List<String[]> rows = new ArrayList<>();
    if (header) {
      rows.add(
          new String[] {
            "COMMIT_ORDER", "RECORDED_AT", "STREAM", "TYPE", "ACTOR", "REQUEST_ID", "CHANGES"
          });
    }
    for (JsonObject i : items) {
      String changes = i.getJsonObject("changes").encode();
      rows.add(
          new String[] {
            i.getString("commit_order"),
            i.getString("recorded_at"),
            i.getString("stream_id"),
            i.getString("type"),
            i.getString("actor"),
            i.getString("request_id"),
            changes.length() > 100 ? changes.substring(0, 97) + "..." : changes
          });
    }
    Table.print(out, rows);
  }

  /** The admin API's cursor: base64url of {@code <txid>:<position>}. */
  static String encode(GlobalPosition p) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(p.toString().getBytes(StandardCharsets.UTF_8));
  }

  static GlobalPosition decode(String cursor) {
    try {
      return GlobalPosition.parse(
          new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, "--cursor is not a next_cursor this command printed");
    }
  }
}
