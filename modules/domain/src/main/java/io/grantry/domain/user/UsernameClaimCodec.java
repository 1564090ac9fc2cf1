package io.grantry.domain.user;

import static io.grantry.domain.Json.string;

import io.grantry.domain.EventCodec;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** The claim stream's one event to and from JSON: {@code {user_id, username}}. */
public final class UsernameClaimCodec implements EventCodec<UsernameClaimed> {
  public static final UsernameClaimCodec INSTANCE = new UsernameClaimCodec();

  private static final Set<String> TYPES = Set.of(UsernameClaimed.TYPE);

  private UsernameClaimCodec() {}

  @Override
  public String type(UsernameClaimed event) {
    return event.type();
  }

  @Override
  public JsonObject toJson(UsernameClaimed event) {
    return new JsonObject().put("user_id", event.userId()).put("username", event.username());
  }

  @Override
  public UsernameClaimed fromJson(String type, JsonObject payload) {
    if (!UsernameClaimed.TYPE.equals(type)) {
      throw new UnknownEventTypeException("username claim", type, TYPES);
    }
    return new UsernameClaimed(string(type, payload, "user_id"), string(type, payload, "username"));
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }
}
