package io.grantry.domain.logout;

import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.optionalLong;
import static io.grantry.domain.Json.string;

import io.grantry.domain.EventCodec;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** Back-channel logout events to and from JSON. */
public final class BackchannelEventCodec implements EventCodec<BackchannelEvent> {
  public static final BackchannelEventCodec INSTANCE = new BackchannelEventCodec();

  private static final Set<String> TYPES =
      Set.of(
          BackchannelEvent.Delivered.TYPE,
          BackchannelEvent.AttemptFailed.TYPE,
          BackchannelEvent.Abandoned.TYPE);

  private BackchannelEventCodec() {}

  @Override
  public String type(BackchannelEvent event) {
    if (event instanceof BackchannelEvent.Delivered) {
      return BackchannelEvent.Delivered.TYPE;
    }
    return event instanceof BackchannelEvent.AttemptFailed
        ? BackchannelEvent.AttemptFailed.TYPE
        : BackchannelEvent.Abandoned.TYPE;
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(BackchannelEvent e) {
    JsonObject json =
        new JsonObject()
            .put("user_id", e.userId())
            .put("session_id", e.sessionId())
            .put("client_id", e.clientId())
            .put("attempt", e.attempt())
            .put("at", e.at());
    if (e instanceof BackchannelEvent.Delivered d) {
      json.put("status", d.status());
    } else if (e instanceof BackchannelEvent.AttemptFailed f) {
      json.put("reason", f.reason()).put("next_attempt_at", f.nextAttemptAt());
      f.status().ifPresent(st -> json.put("status", st));
    } else if (e instanceof BackchannelEvent.Abandoned a) {
      json.put("reason", a.reason());
    }
    return json;
  }

  @Override
  public BackchannelEvent fromJson(String type, JsonObject p) {
    if (type == null || !TYPES.contains(type)) {
      throw new UnknownEventTypeException("backchannel", type, TYPES);
    }
    String user = string(type, p, "user_id");
    String session = string(type, p, "session_id");
    String client = string(type, p, "client_id");
    int attempt =
        (int)
            (long)
                optionalLong(type, p, "attempt")
                    .orElseThrow(() -> Json.problem(type, "attempt", "is missing"));
    return switch (type) {
      case BackchannelEvent.Delivered.TYPE ->
          new BackchannelEvent.Delivered(
              user,
              session,
              client,
              attempt,
              (int) (long) optionalLong(type, p, "status").orElse(200L),
              instant(type, p, "at"));
      case BackchannelEvent.AttemptFailed.TYPE ->
          new BackchannelEvent.AttemptFailed(
              user,
              session,
              client,
              attempt,
              string(type, p, "reason"),
              optionalLong(type, p, "status").map(Long::intValue),
              instant(type, p, "next_attempt_at"),
              instant(type, p, "at"));
      default ->
          new BackchannelEvent.Abandoned(
              user, session, client, attempt, string(type, p, "reason"), instant(type, p, "at"));
    };
  }
}
