package io.grantry.server.authorize;

import io.grantry.domain.authorize.Parameters;
import io.grantry.server.browser.SignedValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pending authorization request that travels signed (HMAC, not encrypted: no secret goes in) in
 * the hidden field of the sign-in and consent forms, so any server instance can take the next step.
 * It holds the request's parameters as the client sent them, checked again at every step against
 * the client's registration as it is then, and one fact the flow needs from earlier steps: the
 * session that signed in during this flow ({@code prompt=login}).
 */
final class PendingRequests {
  static final Duration LIFETIME = Duration.ofMinutes(15);

  private final SignedValues signed;
  private final Clock clock;

  /** What a form brings back. */
  record Pending(Parameters params, Optional<String> freshSession) {}

  PendingRequests(byte[] serverSecret, Clock clock) {
    this.signed = new SignedValues(serverSecret, "authorization-request/v2");
    this.clock = clock;
  }

  String seal(Parameters params, Optional<String> freshSession) {
    JsonObject p = new JsonObject();
    params.values().forEach((k, v) -> p.put(k, new JsonArray(new ArrayList<>(v))));
    JsonObject value = new JsonObject().put("p", p);
    freshSession.ifPresent(s -> value.put("fresh", s));
    return signed.sign(value, clock.instant().plus(LIFETIME));
  }

  /** The pending request when the value is ours and not older than {@link #LIFETIME}. */
  Optional<Pending> open(String value) {
    return signed
        .verify(value, clock.instant())
        .map(
            v -> {
              Map<String, List<String>> params = new LinkedHashMap<>();
              JsonObject p = v.getJsonObject("p", new JsonObject());
              for (String name : p.fieldNames()) {
                List<String> values = new ArrayList<>();
                p.getJsonArray(name).forEach(x -> values.add(String.valueOf(x)));
                params.put(name, values);
              }
              return new Pending(new Parameters(params), Optional.ofNullable(v.getString("fresh")));
            });
  }
}
