package io.grantry.domain.consent;

import io.grantry.domain.Decision;
import io.grantry.domain.EventCodec;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.grantry.domain.consent.ConsentEvent.ConsentGranted;
import io.grantry.domain.consent.ConsentEvent.ConsentRevoked;
import io.grantry.domain.oauth.Scopes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Remembered consent: state, decisions and codec. */
public final class Consent {
  private Consent() {}

  public static String streamId(String userId, String clientId) {
    return "consent:" + userId + ":" + clientId;
  }

  /** The scopes currently allowed (empty when never granted or revoked), and when last granted. */
  public record State(Scopes granted, Optional<Instant> grantedAt) {
    public static final State NONE = new State(Scopes.empty(), Optional.empty());

    /** True when a request for {@code requested} may skip the consent page. */
    public boolean covers(Scopes requested) {
      return grantedAt.isPresent() && requested.isSubsetOf(granted);
    }
  }

  public static State evolve(State s, ConsentEvent e) {
    if (e instanceof ConsentGranted g) {
      return new State(s.granted().union(Scopes.of(g.scopes())), Optional.of(g.at()));
    }
    return State.NONE;
  }

  /** Remember that the user allowed {@code scopes}; nothing new when already covered. */
  public static Decision<ConsentEvent> grant(
      State s, String userId, String clientId, Scopes scopes, Instant now) {
    if (s.covers(scopes)) {
      return Decision.unchanged();
    }
    return Decision.accept(
        new ConsentGranted(userId, clientId, List.copyOf(s.granted().union(scopes).asSet()), now));
  }

  /** Take the consent back; revoking what is not granted changes nothing. */
  public static Decision<ConsentEvent> revoke(
      State s, String userId, String clientId, String actor, Instant now) {
    if (s.grantedAt().isEmpty()) {
      return Decision.unchanged();
    }
    return Decision.accept(new ConsentRevoked(userId, clientId, actor, now));
  }

  public static final EventCodec<ConsentEvent> CODEC =
      new EventCodec<>() {
        static final String GRANTED = "consent.granted.v1";
        static final String REVOKED = "consent.revoked.v1";

        @Override
        public String type(ConsentEvent event) {
          return event instanceof ConsentGranted ? GRANTED : REVOKED;
        }

        @Override
        public JsonObject toJson(ConsentEvent event) {
          JsonObject j =
              new JsonObject()
                  .put("user_id", event.userId())
                  .put("client_id", event.clientId())
                  .put("at", event.at().toString());
          if (event instanceof ConsentGranted g) {
            j.put("scopes", new JsonArray(g.scopes()));
          } else if (event instanceof ConsentRevoked r) {
            j.put("actor", r.actor());
          }
          return j;
        }

        @Override
        public ConsentEvent fromJson(String type, JsonObject p) {
          return switch (type) {
            case GRANTED ->
                new ConsentGranted(
                    Json.string(type, p, "user_id"),
                    Json.string(type, p, "client_id"),
                    Json.strings(type, p, "scopes"),
                    Json.instant(type, p, "at"));
            case REVOKED ->
                new ConsentRevoked(
                    Json.string(type, p, "user_id"),
                    Json.string(type, p, "client_id"),
                    Json.string(type, p, "actor"),
                    Json.instant(type, p, "at"));
            default -> throw new UnknownEventTypeException("consent", type, types());
          };
        }

        @Override
        public Set<String> types() {
          return Set.of(GRANTED, REVOKED);
        }
      };
}
