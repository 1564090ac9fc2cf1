package io.grantry.domain.user;

import static io.grantry.domain.Json.bool;
import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.optionalString;
import static io.grantry.domain.Json.string;
import static io.grantry.domain.Json.wireEnum;

import io.grantry.domain.EventCodec;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * User events to and from JSON; claim fields use their OIDC names ({@code email}, {@code name}).
 */
public final class UserEventCodec implements EventCodec<UserEvent> {
  public static final UserEventCodec INSTANCE = new UserEventCodec();

  private static final Set<String> TYPES =
      Set.of(
          UserRegistered.TYPE,
          UserPasswordChanged.TYPE,
          UserDisabled.TYPE,
          UserEnabled.TYPE,
          UserEmailVerificationSet.TYPE,
          SessionStarted.TYPE,
          SessionEnded.TYPE);

  private UserEventCodec() {}

  @Override
  public String type(UserEvent event) {
    return event.type();
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(UserEvent event) {
    JsonObject json = new JsonObject().put("user_id", event.userId());
    if (event instanceof UserRegistered e) {
      json.put("username", e.username())
          .put("normalized_username", e.normalizedUsername())
          .put("password_hash", e.passwordHash());
      e.email().ifPresent(v -> json.put("email", v));
      e.name().ifPresent(v -> json.put("name", v));
      if (e.emailVerified()) {
        json.put("email_verified", true); // absent means false: older events decode unchanged
      }
      return json.put("registered_at", e.registeredAt());
    }
    if (event instanceof UserPasswordChanged e) {
      return json.put("password_hash", e.passwordHash()).put("changed_at", e.changedAt());
    }
    if (event instanceof UserDisabled e) {
      return json.put("disabled_at", e.disabledAt());
    }
    if (event instanceof UserEnabled e) {
      return json.put("enabled_at", e.enabledAt());
    }
    if (event instanceof UserEmailVerificationSet e) {
      return json.put("email_verified", e.verified()).put("set_at", e.setAt());
    }
    if (event instanceof SessionStarted e) {
      json.put("session_id", e.sessionId())
          .put("secret_hash", e.secretHash())
          .put("auth_time", e.authTime())
          .put("method", e.method())
          .put("expires_at", e.expiresAt());
      e.address().ifPresent(v -> json.put("address", v));
      e.userAgent().ifPresent(v -> json.put("user_agent", v));
      return json;
    }
    if (event instanceof SessionEnded e) {
      return json.put("session_id", e.sessionId())
          .put("reason", e.reason().wire())
          .put("ended_at", e.endedAt());
    }
    throw new IllegalArgumentException("unhandled user event " + event.type());
  }

  @Override
  public UserEvent fromJson(String type, JsonObject p) {
    if (type == null) {
      throw new UnknownEventTypeException("user", null, TYPES);
    }
    switch (type) {
      case UserRegistered.TYPE:
        return new UserRegistered(
            string(type, p, "user_id"),
            string(type, p, "username"),
            string(type, p, "normalized_username"),
            string(type, p, "password_hash"),
            optionalString(type, p, "email"),
            optionalString(type, p, "name"),
            p.containsKey("email_verified") && bool(type, p, "email_verified"),
            instant(type, p, "registered_at"));
      case UserPasswordChanged.TYPE:
        return new UserPasswordChanged(
            string(type, p, "user_id"),
            string(type, p, "password_hash"),
            instant(type, p, "changed_at"));
      case UserDisabled.TYPE:
        return new UserDisabled(string(type, p, "user_id"), instant(type, p, "disabled_at"));
      case UserEnabled.TYPE:
        return new UserEnabled(string(type, p, "user_id"), instant(type, p, "enabled_at"));
      case UserEmailVerificationSet.TYPE:
        return new UserEmailVerificationSet(
            string(type, p, "user_id"),
            bool(type, p, "email_verified"),
            instant(type, p, "set_at"));
      case SessionStarted.TYPE:
        return new SessionStarted(
            string(type, p, "user_id"),
            string(type, p, "session_id"),
            string(type, p, "secret_hash"),
            instant(type, p, "auth_time"),
            string(type, p, "method"),
            instant(type, p, "expires_at"),
            optionalString(type, p, "address"),
            optionalString(type, p, "user_agent"));
      case SessionEnded.TYPE:
        return new SessionEnded(
            string(type, p, "user_id"),
            string(type, p, "session_id"),
            wireEnum(type, p, "reason", SessionEndReason::fromWire),
            instant(type, p, "ended_at"));
      default:
        throw new UnknownEventTypeException("user", type, TYPES);
    }
  }
}
