package io.grantry.server;

import io.grantry.projections.Projection;
import io.grantry.server.backchannel.BackchannelProjection;
import java.util.List;

/**
 * The asynchronous projections every server follows the ledger with (each from its checkpoint in
 * {@code projection_checkpoints}, in batches after the appends): the counterpart of {@link
 * InlineProjections}. One list, so that whatever prepares a ledger for a server (the benchmarks'
 * generated ledgers) brings every one of them to the ledger's end, as a server that has run on it
 * all along would have.
 */
public final class BackgroundProjections {
  private BackgroundProjections() {}

  /** The asynchronous projections, new instances. */
  public static List<Projection> all() {
    return List.of(new BackchannelProjection());
  }
}
