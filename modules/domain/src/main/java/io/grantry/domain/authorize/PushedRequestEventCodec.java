package io.grantry.domain.authorize;

import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.object;
import static io.grantry.domain.Json.string;

import io.grantry.domain.EventCodec;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushed authorization request events to and from JSON. The parameters keep the names and values
 * the client sent, each name with all its values in order.
 */
public final class PushedRequestEventCodec implements EventCodec<PushedRequestEvent> {
  public static final PushedRequestEventCodec INSTANCE = new PushedRequestEventCodec();

  private static final Set<String> TYPES =
      Set.of(PushedRequestEvent.Pushed.TYPE, PushedRequestEvent.Used.TYPE);

  private PushedRequestEventCodec() {}

  @Override
  public String type(PushedRequestEvent event) {
    return event.type();
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(PushedRequestEvent event) {
    JsonObject json = new JsonObject().put("client_id", event.clientId());
    if (event instanceof PushedRequestEvent.Pushed p) {
      JsonObject params = new JsonObject();
      p.parameters().values().forEach((k, v) -> params.put(k, new JsonArray(new ArrayList<>(v))));
      return json.put("request_uri_hash", p.requestUriHash())
          .put("parameters", params)
          .put("pushed_at", p.pushedAt())
          .put("expires_at", p.expiresAt());
    }
    PushedRequestEvent.Used u = (PushedRequestEvent.Used) event;
    return json.put("used_at", u.usedAt());
  }

  @Override
  public PushedRequestEvent fromJson(String type, JsonObject p) {
    if (PushedRequestEvent.Pushed.TYPE.equals(type)) {
      JsonObject params = object(type, p, "parameters");
      Map<String, List<String>> values = new LinkedHashMap<>();
      for (String name : params.fieldNames()) {
        values.put(name, Json.strings(type, params, name));
      }
      return new PushedRequestEvent.Pushed(
          string(type, p, "client_id"),
          string(type, p, "request_uri_hash"),
          new Parameters(values),
          instant(type, p, "pushed_at"),
          instant(type, p, "expires_at"));
    }
    if (PushedRequestEvent.Used.TYPE.equals(type)) {
      return new PushedRequestEvent.Used(string(type, p, "client_id"), instant(type, p, "used_at"));
    }
    throw new UnknownEventTypeException("pushed authorization request", type, TYPES);
  }
}
