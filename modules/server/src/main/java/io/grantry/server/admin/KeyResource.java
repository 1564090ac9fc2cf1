package io.grantry.server.admin;

import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.key.KeyEvent;
import io.grantry.domain.key.KeyEventCodec;
import io.grantry.domain.key.KeyRing;
import io.grantry.domain.key.KeyRingDecider;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.key.SigningKey;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.keys.KeyService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;

/**
 * {@code /admin/keys}: the key ring as the ledger has it (read from the {@code keys} stream, so a
 * rotation by another server shows at once) and rotation through {@link KeyService}. Only public
 * halves and lifecycle dates are shown; the encrypted private keys stay in the ledger.
 */
final class KeyResource {
  private final KeyService keys;
  private final Aggregate<KeyRing, KeyEvent> ring;
  private final Clock clock;

  KeyResource(KeyService keys, EventStore store, Clock clock) {
    this.keys = keys;
    this.ring =
        new Aggregate<>(store, KeyEventCodec.INSTANCE, KeyRing.empty(), KeyRingDecider::evolve);
    this.clock = clock;
  }

  void list(RoutingContext ctx) {
    AdminRequest.respond(
        ctx,
        ring.load(KeyRingDecider.STREAM_ID),
        200,
        loaded -> {
          Instant now = clock.instant();
          JsonArray items = new JsonArray();
          loaded.state().keys().stream()
              .sorted(
                  Comparator.comparing(SigningKey::createdAt)
                      .reversed()
                      .thenComparing(SigningKey::kid))
              .forEach(k -> items.add(json(k, now)));
          return new JsonObject().put("items", items);
        });
  }

  void rotate(RoutingContext ctx) {
    JsonObject body = AdminRequest.body(ctx);
    SigningAlgorithm alg =
        SigningAlgorithm.fromWire(body.getString("alg"))
            .orElseThrow(
                () ->
                    new CommandRejected(new ValidationError("alg", "alg must be ES256 or RS256")));
    Duration overlap =
        Duration.ofSeconds(body.getLong("overlap_seconds", keys.defaultOverlap().toSeconds()));
    Future<SigningKey> rotated =
        keys.rotate(alg, overlap, false, AdminRequest.metadata(ctx))
            // KeyService reports the key ring's refusal as IllegalArgumentException with its
            // message.
            .recover(
                err ->
                    Future.failedFuture(
                        err instanceof IllegalArgumentException
                            ? new CommandRejected(
                                new ValidationError("overlap_seconds", err.getMessage()))
                            : err));
    AdminRequest.respond(ctx, rotated, 200, k -> json(k, clock.instant()));
  }

  static JsonObject json(SigningKey k, Instant now) {
    JsonObject json =
        new JsonObject()
            .put("kid", k.kid())
            .put("alg", k.alg().wire())
            .put("use", k.use())
            .put("status", k.status().name().toLowerCase(Locale.ROOT))
            .put("created_at", k.createdAt().toString());
    k.activatedAt().ifPresent(t -> json.put("activated_at", t.toString()));
    k.retiredAt().ifPresent(t -> json.put("retired_at", t.toString()));
    k.retireAfter().ifPresent(t -> json.put("retire_after", t.toString()));
    return json.put("published", k.isPublishedAt(now));
  }
}
