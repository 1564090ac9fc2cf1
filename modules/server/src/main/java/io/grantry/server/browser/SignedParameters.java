package io.grantry.server.browser;

import io.grantry.domain.authorize.Parameters;
import io.vertx.core.MultiMap;
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
 * A request's parameters carried signed (HMAC, not encrypted: no secret goes in) in the hidden
 * field of a page's form, so that any server instance can take the next step from what the client
 * originally sent (the authorization request through sign-in and consent, the end-session request
 * through its confirmation), with a few server-made facts beside them.
 */
public final class SignedParameters {
  private final SignedValues signed;
  private final Duration lifetime;
  private final Clock clock;

  /** What a form brings back. */
  public record Opened(Parameters params, JsonObject facts) {}

  public SignedParameters(byte[] serverSecret, String purpose, Duration lifetime, Clock clock) {
    this.signed = new SignedValues(serverSecret, purpose);
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /** The parameters of a query or form, each name with all its values. */
  public static Parameters of(MultiMap map) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String name : map.names()) {
      out.put(name, new ArrayList<>(map.getAll(name)));
    }
    return new Parameters(out);
  }

  public String seal(Parameters params, JsonObject facts) {
    JsonObject p = new JsonObject();
    params.values().forEach((k, v) -> p.put(k, new JsonArray(new ArrayList<>(v))));
    return signed.sign(
        new JsonObject().put("p", p).put("f", facts), clock.instant().plus(lifetime));
  }

  /** The parameters and facts when the value is ours and not older than its lifetime. */
  public Optional<Opened> open(String value) {
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
              return new Opened(new Parameters(params), v.getJsonObject("f", new JsonObject()));
            });
  }
}
