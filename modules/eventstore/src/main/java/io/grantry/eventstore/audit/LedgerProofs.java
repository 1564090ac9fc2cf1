package io.grantry.eventstore.audit;

import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.InclusionProof;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The proofs an auditor asks for, as the admin API, the public {@code /ledger} routes and {@code
 * grantry audit prove} give them: an event's inclusion in a signed tree head (the latest or a given
 * one), and the consistency of two tree sizes. Refusals say which input is wrong ({@link Refused}).
 */
public final class LedgerProofs {

  /** Why a proof cannot be given: nothing there ({@code notFound}), or a bad input. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean notFound;
    private final String field;

    Refused(boolean notFound, String field, String message) {
      super(message, null, false, false);
      this.notFound = notFound;
      this.field = field;
    }

    public boolean notFound() {
      return notFound;
    }

    /** The input at fault (a query parameter's name). */
    public String field() {
      return field;
    }
  }

  private final LedgerTree tree;

  public LedgerProofs(LedgerTree tree) {
    this.tree = tree;
  }

  public LedgerTree tree() {
    return tree;
  }

  /**
   * The inclusion proof of the event at global position {@code position} in the tree head of size
   * {@code treeSize} (default: the latest), with the event.
   */
  public Future<InclusionProof> inclusion(long position, OptionalLong treeSize) {
    return head(treeSize, "tree_size")
        .compose(
            head ->
                tree.locate(position)
                    .compose(
                        found -> {
                          if (found.isEmpty()) {
                            return Future.failedFuture(
                                new Refused(true, "position", "no event at position " + position));
                          }
                          LedgerTree.Located at = found.get();
                          if (at.index() < 0 || at.index() >= head.size()) {
                            return Future.failedFuture(
                                new Refused(
                                    true,
                                    "position",
                                    "the event at position "
                                        + position
                                        + " is not in the tree head of size "
                                        + head.size()
                                        + ": it came after it; ask again after the next"
                                        + " checkpoint"));
                          }
                          JsonObject event =
                              at.event() != null
                                  ? EventJson.toJson(at.event())
                                  : at.archived().toJson();
                          return tree.inclusion(at.index(), head, event, at);
                        }));
  }

  /**
   * The consistency proof from the tree of {@code first} leaves to the tree head of size {@code
   * second}.
   */
  public Future<ConsistencyProof> consistency(long first, long second) {
    if (first < 0 || first > second) {
      return Future.failedFuture(
          new Refused(
              false,
              "first",
              "first must be at least 0 and at most second (" + first + ", " + second + ")"));
    }
    return head(OptionalLong.of(second), "second")
        .compose(
            head ->
                tree.consistency(first, head)
                    .compose(
                        path ->
                            tree.head(first)
                                .map(
                                    firstHead ->
                                        new ConsistencyProof(
                                            first,
                                            second,
                                            path,
                                            head.noteWithCosignatures(),
                                            firstHead
                                                .map(LedgerTree.Head::noteWithCosignatures)
                                                .orElse(null)))));
  }

  private Future<LedgerTree.Head> head(OptionalLong size, String field) {
    Future<Optional<LedgerTree.Head>> h =
        size.isPresent() ? tree.head(size.getAsLong()) : tree.latest();
    return h.compose(
        found ->
            found.isPresent()
                ? Future.succeededFuture(found.get())
                : Future.failedFuture(
                    new Refused(
                        true,
                        field,
                        size.isPresent()
                            ? "no signed tree head of size " + size.getAsLong()
                            : "no signed tree head yet (the first comes with the first checkpoint)")));
  }
}
