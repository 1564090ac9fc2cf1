package io.grantry.domain.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ClientIdClaimCodecTest {
  private static final ClientIdClaimCodec CODEC = ClientIdClaimCodec.INSTANCE;

  @Test
  void roundTripsWithWireNames() {
    ClientIdClaimed e = new ClientIdClaimed("Demo-Web");
    JsonObject json = CODEC.toJson(e);
    assertThat(json).isEqualTo(new JsonObject().put("client_id", "Demo-Web"));
    assertThat(CODEC.type(e)).isEqualTo("client.client_id_claimed.v1");
    assertThat(CODEC.fromJson(CODEC.type(e), new JsonObject(json.encode()))).isEqualTo(e);
  }

  @Test
  void theClaimStreamIsKeyedByTheLowerCaseIdAndIsNoClientStream() {
    assertThat(ClientIdClaimed.streamId("DEMO-WEB")).isEqualTo("client_id:demo-web");
    assertThat(ClientIdClaimed.streamId("Demo-Web"))
        .isEqualTo(ClientIdClaimed.streamId("demo-web"));
    assertThat(ClientIdClaimed.streamId("x")).doesNotStartWith("client:");
  }

  @Test
  void refusesOtherTypesAndMissingFields() {
    assertThatThrownBy(() -> CODEC.fromJson("client.registered.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class);
    assertThatThrownBy(() -> CODEC.fromJson(ClientIdClaimed.TYPE, new JsonObject()))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("client_id");
  }
}
