package io.grantry.domain.key;

import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.object;
import static io.grantry.domain.Json.string;
import static io.grantry.domain.Json.wireEnum;

import io.grantry.domain.EventCodec;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** Key events to and from JSON. The private key travels only as its encrypted envelope. */
public final class KeyEventCodec implements EventCodec<KeyEvent> {
  public static final KeyEventCodec INSTANCE = new KeyEventCodec();

  private static final Set<String> TYPES =
      Set.of(SigningKeyGenerated.TYPE, SigningKeyActivated.TYPE, SigningKeyRetired.TYPE);

  private KeyEventCodec() {}

  @Override
  public String type(KeyEvent event) {
    return event.type();
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(KeyEvent event) {
    JsonObject json = new JsonObject().put("kid", event.kid());
    if (event instanceof SigningKeyGenerated e) {
      return json.put("alg", e.alg().wire())
          .put("use", e.use())
          .put("public_jwk", e.publicJwk())
          .put("encrypted_private_key", e.encryptedPrivateKey())
          .put("created_at", e.createdAt());
    }
    if (event instanceof SigningKeyActivated e) {
      return json.put("activated_at", e.activatedAt());
    }
    if (event instanceof SigningKeyRetired e) {
      return json.put("retired_at", e.retiredAt()).put("retire_after", e.retireAfter());
    }
    throw new IllegalArgumentException("unhandled key event " + event.type());
  }

  @Override
  public KeyEvent fromJson(String type, JsonObject p) {
    if (type == null) {
      throw new UnknownEventTypeException("key", null, TYPES);
    }
    switch (type) {
      case SigningKeyGenerated.TYPE:
        return new SigningKeyGenerated(
            string(type, p, "kid"),
            wireEnum(type, p, "alg", SigningAlgorithm::fromWire),
            string(type, p, "use"),
            object(type, p, "public_jwk"),
            string(type, p, "encrypted_private_key"),
            instant(type, p, "created_at"));
      case SigningKeyActivated.TYPE:
        return new SigningKeyActivated(string(type, p, "kid"), instant(type, p, "activated_at"));
      case SigningKeyRetired.TYPE:
        return new SigningKeyRetired(
            string(type, p, "kid"),
            instant(type, p, "retired_at"),
            instant(type, p, "retire_after"));
      default:
        throw new UnknownEventTypeException("key", type, TYPES);
    }
  }
}
