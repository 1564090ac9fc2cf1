package io.grantry.cli;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.audit.AuditLedger.Kind;
import io.grantry.server.audit.AuditLedger.Subject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
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
  /** Exit code when the whole history asked for is in archive files (see --archives). */
  static final int ARCHIVED = 5;

  static final class Which {
    @Option(names = "--grant", paramLabel = "ID", required = true, description = "A grant id.")
    String grant;

    @Option(
        names = "--user",
        paramLabel = "USER",
        required = true,
        description = "A user id or a username.")
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
      names = "--archives",
      paramLabel = "DIR",
      description =
          "A directory holding archive files written by `audit archive`: the events of the grant,"
              + " user or client found there (the file's SHA-256 checked against its manifest) are shown"
              + " before those still in the database.")
  Path archives;

  @Option(
      names = "--wide",
      description =
          "Each event on one line with its changes whole (default: the table keeps within 120"
              + " columns, long values wrapped onto the next lines, long changes shortened).")
  boolean wide;

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
      if (subject.kind() == Kind.USER) {
        subject = new Subject(Kind.USER, UserRefs.userId(db, subject.id()));
      }
      if (!CliSupport.await(ledger.exists(subject))) {
        throw new CliFailure(3, "no such " + subject.kind().noun() + " " + subject.id());
      }
      boolean header = true;
      List<JsonObject> archived = CliSupport.await(ledger.archived(subject));
      boolean shown = false;
      // Archived events come first: archival takes only events before the newest checkpoint.
      List<JsonObject> fromFiles =
          archives != null && cursor == null ? fromArchives(db, subject, archived) : List.of();
      shown = !fromFiles.isEmpty();
      if (!json && shown) {
        print(System.out, fromFiles, true, wide);
        header = false;
      } else if (json && all) {
        fromFiles.forEach(i -> System.out.println(i.encode()));
      }
      while (true) {
        AuditLedger.HistoryPage page = CliSupport.await(ledger.history(subject, after, limit));
        shown |= !page.items().isEmpty();
        String next = page.next().map(AuditHistoryCommand::encode).orElse(null);
        if (json && all) {
          page.items().forEach(i -> System.out.println(i.encode()));
        } else if (json) {
          List<JsonObject> items = new ArrayList<>(fromFiles);
          items.addAll(page.items());
          JsonObject out =
              new JsonObject().put("items", new JsonArray(items)).put("next_cursor", next);
          if (!archived.isEmpty()) {
            out.put("archived", new JsonArray(archived));
          }
          System.out.println(out.encode());
        } else {
          print(System.out, page.items(), header, wide);
          header = false;
          if (next != null && !all) {
            System.err.println("more: --cursor " + next);
          }
        }
        if (!all || page.next().isEmpty()) {
          if (!archived.isEmpty() && archives == null) {
            // Say where the rest is, rather than an empty or partial list that looks complete.
            for (JsonObject a : archived) {
              System.err.println(
                  a.getLong("events")
                      + " events of this "
                      + subject.kind().noun()
                      + " were archived to "
                      + a.getString("file")
                      + " (archive "
                      + a.getString("archive_id")
                      + ", SHA-256 "
                      + a.getString("sha256")
                      + "): show them with --archives DIR");
            }
            if (!shown) {
              throw new CliFailure(
                  ARCHIVED,
                  "the history of "
                      + subject.kind().noun()
                      + " "
                      + subject.id()
                      + " is in archive files, not in the database");
            }
          }
          return 0;
        }
        after = page.next().get();
      }
    }
  }

  /**
   * The subject's events from the archive files in {@link #archives} that the ledger's manifests
   * name (each file checked against its manifest's SHA-256 first), as history entries.
   */
  private List<JsonObject> fromArchives(CliSupport.Db db, Subject subject, List<JsonObject> found)
      throws Exception {
    Set<String> streams =
        new HashSet<>(CliSupport.await(new AuditLedger(db.pool).streams(subject)));
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject a : found) {
      Path file = archives.resolve(a.getString("file"));
      if (!Files.isRegularFile(file)) {
        throw new CliFailure(
            ARCHIVED, "archive " + a.getString("archive_id") + ": " + file + " is not there");
      }
      MessageDigest sha = EventHash.sha256();
      List<RecordedEvent> events = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(
                  new DigestInputStream(Files.newInputStream(file), sha),
                  StandardCharsets.UTF_8))) {
        r.readLine(); // the archive's header
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.isBlank()) {
            RecordedEvent e = AuditCommand.fromJson(new JsonObject(line));
            if (streams.contains(e.streamId())) {
              events.add(e);
            }
          }
        }
      }
      String digest = HexFormat.of().formatHex(sha.digest());
      if (!digest.equals(a.getString("sha256"))) {
        throw new CliFailure(
            AuditCommand.TAMPERED,
            file
                + " has SHA-256 "
                + digest
                + ", but the ledger's manifest of "
                + a.getString("archive_id")
                + " records "
                + a.getString("sha256"));
      }
      for (RecordedEvent e : events) {
        out.add(AuditLedger.entry(e, null).put("archive_id", a.getString("archive_id")));
      }
    }
    out.sort((x, y) -> position(x).compareTo(position(y)));
    return out;
  }

  private static GlobalPosition position(JsonObject entry) {
    return GlobalPosition.parse(entry.getString("commit_order"));
  }

  /**
   * The entries as a table: within 120 columns unless {@code wide}, each value wrapped over as many
   * lines as it needs (an id or a type is never cut: it is what an auditor copies), the changes
   * shortened to {@value #CHANGES_SHOWN} characters except a token exchange's; {@code wide}: one
   * line an event, every change whole.
   */
  static void print(PrintStream out, List<JsonObject> items, boolean header, boolean wide) {
    List<String[]> rows = new ArrayList<>();
    if (header) {
      rows.add(
          new String[] {
            "COMMIT_ORDER", "RECORDED_AT", "STREAM", "TYPE", "ACTOR", "REQUEST_ID", "CHANGES"
          });
    }
    for (JsonObject i : items) {
      // An exchange whole (who acted for whom is what an auditor looks for), the rest shortened.
      String changes = i.getJsonObject("changes").encode();
      if (EXCHANGED.equals(i.getString("type"))) {
        changes = exchange(i.getJsonObject("changes"));
      } else if (!wide && changes.length() > CHANGES_SHOWN) {
        changes = changes.substring(0, CHANGES_SHOWN - 3) + "...";
      }
      rows.add(
          new String[] {
            i.getString("commit_order"),
            Table.time(i.getString("recorded_at")),
            i.getString("stream_id"),
            i.getString("type"),
            i.getString("actor"),
            i.getString("request_id"),
            changes
          });
    }
    Table.print(out, rows, wide, true);
  }

  /** How much of an event's changes the table shows without {@code --wide}. */
  static final int CHANGES_SHOWN = 100;

  private static final String EXCHANGED = "grant.token_exchanged.v1";

  /**
   * A token exchange (RFC 8693) in a line, whole, since it is what an auditor looks for: which
   * client exchanged, for whom, who acts (the {@code act} chain, current actor first), and the
   * grants it descends from (root first), e.g. {@code svc-c for 8062…, act svc-c < svc-b, from root
   * > g1 > g2, aud https://orders.example}.
   */
  static String exchange(JsonObject c) {
    StringBuilder b =
        new StringBuilder(String.valueOf(c.getString("client_id")))
            .append(" for ")
            .append(c.getString("subject"));
    JsonObject act = c.getJsonObject("act");
    if (act == null) {
      b.append(", no actor");
    } else {
      b.append(", act ");
      for (JsonObject a = act; a != null; a = a.getJsonObject("act")) {
        b.append(a == act ? "" : " < ").append(a.getString("sub"));
      }
    }
    JsonArray chain = c.getJsonArray("grant_chain", new JsonArray());
    b.append(", from ");
    for (int k = 0; k < chain.size(); k++) {
      b.append(k == 0 ? "" : " > ").append(chain.getString(k));
    }
    JsonArray aud = c.getJsonArray("audiences", new JsonArray());
    if (!aud.isEmpty()) {
      b.append(", aud ");
      for (int k = 0; k < aud.size(); k++) {
        b.append(k == 0 ? "" : " ").append(aud.getString(k));
      }
    }
    return b.toString();
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
