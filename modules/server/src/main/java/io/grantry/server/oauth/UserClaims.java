package io.grantry.server.oauth;

import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.vertx.core.json.JsonObject;

/** The standard claims a user's scopes release (OIDC Core §5.4): profile and email. */
public final class UserClaims {
  private UserClaims() {}

  public static JsonObject of(UserState.Registered user, Scopes scopes) {
    JsonObject c = new JsonObject();
    if (scopes.contains(Scopes.PROFILE)) {
      c.put("preferred_username", user.username());
      user.name().ifPresent(n -> c.put("name", n));
    }
    if (scopes.contains(Scopes.EMAIL)) {
      user.email().ifPresent(e -> c.put("email", e).put("email_verified", user.emailVerified()));
    }
    return c;
  }
}
