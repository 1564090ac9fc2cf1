package io.grantry.cli;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.audit.LedgerProofs;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.InclusionProof;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grantry audit prove}: an RFC 9162 proof from the ledger's Merkle tree in the database,
 * either that one event is in a signed tree head ({@code --event}) or that one tree extends another
 * ({@code --consistency}), for {@code grantry audit verify-proof} or any RFC 9162 implementation to
 * check offline. The same proofs as {@code GET /admin/audit/proofs/...}.
 */
@Command(
    name = "prove",
    mixinStandardHelpOptions = true,
    description =
        "An RFC 9162 proof from the ledger's Merkle tree: that an event is in a signed tree head"
            + " (--event), or that a tree head extends an earlier tree (--consistency).")
final class AuditProveCommand implements Callable<Integer> {
  static final class Which {
    @Option(
        names = "--event",
        paramLabel = "POSITION",
        required = true,
        description = "The event's position (as `audit history` shows it), or TXID:POSITION.")
    String event;

    @Option(
        names = "--consistency",
        arity = "2",
        paramLabel = "SIZE",
        required = true,
        description = "Two tree sizes: the earlier and a signed tree head's.")
    List<Long> consistency;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Which which;

  @Option(
      names = "--tree-size",
      paramLabel = "N",
      description = "With --event: the signed tree head to prove against (default: the latest).")
  Long treeSize;

  @Option(names = "--json", description = "The proof as one JSON object (RFC 9162's vocabulary).")
  boolean json;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write the JSON proof here (implies --json for the file).")
  Path output;

  @Override
  public Integer call() throws Exception {
    try (CliSupport.Db db = CliSupport.Db.open()) {
      LedgerProofs proofs = new LedgerProofs(new LedgerTree(db.pool));
      JsonObject proof;
      String summary;
      try {
        if (which.event != null) {
          long position = position(which.event);
          InclusionProof p =
              CliSupport.await(
                  proofs.inclusion(
                      position,
                      treeSize == null ? OptionalLong.empty() : OptionalLong.of(treeSize)));
          proof = p.toJson();
          JsonObject e = p.event();
          summary =
              "event "
                  + e.getString("commit_order")
                  + " ("
                  + e.getString("stream_id")
                  + " v"
                  + e.getLong("version")
                  + (e.getString("type") != null ? ", " + e.getString("type") : ", archived")
                  + ") is leaf "
                  + p.leafIndex()
                  + " of the signed tree head of size "
                  + p.treeSize()
                  + "; leaf hash "
                  + Base64.getEncoder().encodeToString(p.leafHash())
                  + ", "
                  + p.path().size()
                  + " hashes in the inclusion path";
        } else {
          if (treeSize != null) {
            throw new CliFailure(2, "--tree-size is for --event; --consistency names both sizes");
          }
          ConsistencyProof p =
              CliSupport.await(
                  proofs.consistency(which.consistency.get(0), which.consistency.get(1)));
          proof = p.toJson();
          summary =
              "the signed tree head of size "
                  + p.secondSize()
                  + " extends the tree of "
                  + p.firstSize()
                  + " leaves: "
                  + p.path().size()
                  + " hashes in the consistency path";
        }
      } catch (LedgerProofs.Refused r) {
        throw new CliFailure(r.notFound() ? 3 : 2, r.getMessage());
      }
      if (output != null) {
        Files.writeString(output, proof.encodePrettily() + "\n", StandardCharsets.UTF_8);
      }
      if (json) {
        System.out.println(proof.encode());
      } else {
        System.out.println(summary);
        if (output != null) {
          System.out.println(
              "written to "
                  + output
                  + "; check it offline: grantry audit verify-proof "
                  + output
                  + " --key-file <the ledger's /ledger/key>");
        }
      }
      return 0;
    }
  }

  private static long position(String s) {
    try {
      return s.contains(":") ? GlobalPosition.parse(s).position() : Long.parseLong(s);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, "--event takes a position such as 812 or 1234:812, got '" + s + "'");
    }
  }
}
