package io.grantry.server.app;

import io.grantry.eventstore.EventStore;
import io.grantry.projections.ProjectionRunner;
import io.grantry.server.clients.ClientsProjection;
import io.grantry.server.consents.ConsentsProjection;
import io.grantry.server.users.UsersProjection;

/**
 * The projections every event store of the server writes in the append's own transaction, so
 * that what the endpoints read is never behind an acknowledged append. Call on each store that
 * may append client, user, grant or consent events (each HTTP verticle's, and the server's own for key rotation
 * and the development seed).
 */
public final class InlineProjections {
  private InlineProjections() {}

  public static ProjectionRunner register(EventStore store) {
    ProjectionRunner runner = new ProjectionRunner(store);
    store.addInlineProjection(runner.inline(new ClientsProjection()));
    store.addInlineProjection(runner.inline(new UsersProjection()));
    store.addInlineProjection(runner.inline(new io.grantry.server.tokenstate.TokenStateProjection()));
    store.addInlineProjection(runner.inline(new ConsentsProjection()));
    return runner;
  }
}
