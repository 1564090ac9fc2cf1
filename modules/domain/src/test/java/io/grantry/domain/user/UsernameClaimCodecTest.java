package io.grantry.domain.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UsernameClaimCodecTest {
  private static final UsernameClaimCodec CODEC = UsernameClaimCodec.INSTANCE;

  @Test
  void roundTripsWithWireNames() {
    UsernameClaimed e = new UsernameClaimed("u-1", "Alice");
    JsonObject json = CODEC.toJson(e);
    assertThat(json).isEqualTo(new JsonObject().put("user_id", "u-1").put("username", "Alice"));
    assertThat(CODEC.type(e)).isEqualTo("user.username_claimed.v1");
    assertThat(CODEC.fromJson(CODEC.type(e), new JsonObject(json.encode()))).isEqualTo(e);
  }

  @Test
  void theClaimStreamIsKeyedByTheNormalizedName() {
    assertThat(UsernameClaimed.streamId("Alice")).isEqualTo("username:alice");
    assertThat(UsernameClaimed.streamId("ALICE")).isEqualTo(UsernameClaimed.streamId("alice"));
  }

  @Test
  void refusesOtherTypesAndMissingFields() {
    assertThatThrownBy(() -> CODEC.fromJson("user.registered.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class);
    assertThatThrownBy(
            () -> CODEC.fromJson(UsernameClaimed.TYPE, new JsonObject().put("user_id", "u-1")))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("username");
  }
}
