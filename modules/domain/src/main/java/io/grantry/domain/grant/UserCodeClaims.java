package io.grantry.domain.grant;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.EventCodec;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The claim stream of one user code ({@link UserCodeClaimed}): its state is the latest claim, a
 * claim is refused while that one is live, and the live claim names the grant a typed code stands
 * for. Pure.
 */
public final class UserCodeClaims {
  private UserCodeClaims() {}

  /** The latest claim of the code, if it was ever claimed. */
  public record State(Optional<UserCodeClaimed> latest) {
    public static final State NONE = new State(Optional.empty());

    public State {
      Objects.requireNonNull(latest, "latest");
    }

    /** The grant the code stands for at {@code now}: the latest claim's, until it expires. */
    public Optional<String> liveGrant(Instant now) {
      return latest.filter(c -> now.isBefore(c.expiresAt())).map(UserCodeClaimed::grantId);
    }
  }

  public static State evolve(State state, UserCodeClaimed event) {
    return new State(Optional.of(event));
  }

  /**
   * Claims the code for {@code grantId} until {@code expiresAt}; refused ({@link
   * DomainError.AlreadyExists}) while another grant's claim is live.
   */
  public static Decision<UserCodeClaimed> claim(
      State state, String userCodeHash, String grantId, Instant expiresAt, Instant now) {
    if (!GrantTokens.isHash(userCodeHash)) {
      return Decision.reject(
          new DomainError.ValidationError(
              "user_code_hash", "user_code_hash must be a keyed hash, never the code itself"));
    }
    if (!GrantTokens.isGrantId(grantId)) {
      return Decision.reject(new DomainError.ValidationError("grant_id", "not a grant id"));
    }
    if (!expiresAt.isAfter(now)) {
      return Decision.reject(
          new DomainError.ValidationError("expires_at", "a claim must end after it starts"));
    }
    if (state.liveGrant(now).isPresent()) {
      return Decision.reject(new DomainError.AlreadyExists("user code", "(a live one)"));
    }
    return Decision.accept(new UserCodeClaimed(userCodeHash, grantId, expiresAt));
  }

  /** The claim stream's events to and from JSON: {@code {user_code_hash, grant_id, expires_at}}. */
  public static final EventCodec<UserCodeClaimed> CODEC =
      new EventCodec<>() {
        private final Set<String> types = Set.of(UserCodeClaimed.TYPE);

        @Override
        public String type(UserCodeClaimed event) {
          return event.type();
        }

        @Override
        public JsonObject toJson(UserCodeClaimed e) {
          return new JsonObject()
              .put("user_code_hash", e.userCodeHash())
              .put("grant_id", e.grantId())
              .put("expires_at", e.expiresAt());
        }

        @Override
        public UserCodeClaimed fromJson(String type, JsonObject p) {
          if (!UserCodeClaimed.TYPE.equals(type)) {
            throw new UnknownEventTypeException("user code claim", type, types);
          }
          return new UserCodeClaimed(
              Json.string(type, p, "user_code_hash"),
              Json.string(type, p, "grant_id"),
              Json.instant(type, p, "expires_at"));
        }

        @Override
        public Set<String> types() {
          return types;
        }
      };
}
