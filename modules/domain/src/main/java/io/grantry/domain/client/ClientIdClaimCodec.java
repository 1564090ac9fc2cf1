package io.grantry.domain.client;

import static io.grantry.domain.Json.string;

import io.grantry.domain.EventCodec;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** The client id claim stream's one event to and from JSON: {@code {client_id}}. */
public final class ClientIdClaimCodec implements EventCodec<ClientIdClaimed> {
  public static final ClientIdClaimCodec INSTANCE = new ClientIdClaimCodec();

  private static final Set<String> TYPES = Set.of(ClientIdClaimed.TYPE);

  private ClientIdClaimCodec() {}

  @Override
  public String type(ClientIdClaimed event) {
    return event.type();
  }

  @Override
  public JsonObject toJson(ClientIdClaimed event) {
    return new JsonObject().put("client_id", event.clientId());
  }

  @Override
  public ClientIdClaimed fromJson(String type, JsonObject payload) {
    if (!ClientIdClaimed.TYPE.equals(type)) {
      throw new UnknownEventTypeException("client id claim", type, TYPES);
    }
    return new ClientIdClaimed(string(type, payload, "client_id"));
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }
}
