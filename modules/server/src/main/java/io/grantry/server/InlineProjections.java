package io.grantry.server;

import io.grantry.eventstore.EventStore;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.server.app.Snapshots;
import io.grantry.server.clients.ClientsProjection;
import io.grantry.server.consents.ConsentsProjection;
import io.grantry.server.sessions.SessionsProjection;
import io.grantry.server.tokenstate.TokenStateProjection;
import io.grantry.server.users.UsersProjection;
import java.util.List;

/**
 * The projections every event store of the server writes in the append's own transaction, so that
 * what the endpoints read is never behind an acknowledged append. Call on each store that may
 * append client, user, grant or consent events (each HTTP verticle's, and the server's own for key
 * rotation and the development seed).
 */
public final class InlineProjections {
  private InlineProjections() {}

  public static ProjectionRunner register(EventStore store) {
    ProjectionRunner runner = new ProjectionRunner(store);
    for (Projection p : all()) {
      store.addInlineProjection(runner.inline(p));
    }
    // Not a projection (a rebuild leaves it alone): the grant-state snapshots the aggregates note.
    store.addInlineProjection(Snapshots.WRITER);
    return runner;
  }

  /** The inline projections, in the order they are applied (new instances). */
  public static List<Projection> all() {
    return List.of(
        new ClientsProjection(),
        new UsersProjection(),
        new TokenStateProjection(),
        new ConsentsProjection(),
        new SessionsProjection());
  }
}
