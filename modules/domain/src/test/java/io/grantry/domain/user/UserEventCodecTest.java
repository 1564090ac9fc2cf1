package io.grantry.domain.user;

import static io.grantry.domain.user.UserDeciderTest.HASH_1;
import static io.grantry.domain.user.UserDeciderTest.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UserEventCodecTest {
  private static final UserEventCodec CODEC = UserEventCodec.INSTANCE;

  static List<UserEvent> samples() {
    return List.of(
        new UserRegistered(
            "u-1",
            "Alice",
            "alice",
            HASH_1,
            Optional.of("alice@example.com"),
            Optional.of("Alice"),
            T0),
        new UserRegistered("u-2", "bob", "bob", HASH_1, Optional.empty(), Optional.empty(), T0),
        new UserPasswordChanged("u-1", HASH_1, T0.plusSeconds(1)),
        new UserDisabled("u-1", T0.plusSeconds(2)),
        new UserEnabled("u-1", T0.plusSeconds(3)),
        new UserRegistered(
            "u-3", "cy", "cy", HASH_1, Optional.of("cy@example.com"), Optional.empty(), true, T0),
        new UserEmailVerificationSet("u-3", false, T0.plusSeconds(4)),
        new SessionStarted(
            "u-1",
            "sid-1",
            "c2VjcmV0LWhhc2g",
            T0,
            "pwd",
            T0.plusSeconds(3600),
            Optional.of("203.0.113.7"),
            Optional.of("Mozilla/5.0")),
        new SessionStarted(
            "u-1",
            "sid-2",
            "aGFzaA",
            T0,
            "pwd",
            T0.plusSeconds(60),
            Optional.empty(),
            Optional.empty()),
        new SessionEnded("u-1", "sid-1", SessionEndReason.PASSWORD_CHANGED, T0.plusSeconds(9)));
  }

  @Test
  void aRegistrationWrittenBeforeEmailVerifiedExistedDecodesAsUnverified() {
    JsonObject old =
        new JsonObject()
            .put("user_id", "u-9")
            .put("username", "old")
            .put("normalized_username", "old")
            .put("password_hash", HASH_1)
            .put("email", "old@example.com")
            .put("registered_at", T0.toString());
    assertThat(((UserRegistered) CODEC.fromJson(UserRegistered.TYPE, old)).emailVerified())
        .isFalse();
    assertThat(CODEC.toJson(CODEC.fromJson(UserRegistered.TYPE, old)).containsKey("email_verified"))
        .as("an unverified registration is written as before")
        .isFalse();
  }

  @Test
  void everyEventRoundTrips() {
    for (UserEvent e : samples()) {
      assertThat(CODEC.fromJson(CODEC.type(e), new JsonObject(CODEC.toJson(e).encode())))
          .isEqualTo(e);
    }
    assertThat(samples().stream().map(Object::getClass).distinct().collect(Collectors.toList()))
        .containsExactlyInAnyOrderElementsOf(
            Arrays.asList(UserEvent.class.getPermittedSubclasses()));
    assertThat(CODEC.types())
        .containsExactlyInAnyOrder(
            "user.registered.v1",
            "user.password_changed.v1",
            "user.disabled.v1",
            "user.enabled.v1",
            "user.email_verification_set.v1",
            "user.session_started.v1",
            "user.session_ended.v1");
  }

  @Test
  void payloadFieldNames() {
    JsonObject json = CODEC.toJson(samples().get(0));
    assertThat(json.fieldNames())
        .containsExactlyInAnyOrder(
            "user_id",
            "username",
            "normalized_username",
            "password_hash",
            "email",
            "name",
            "registered_at");
    assertThat(CODEC.toJson(samples().get(1)).fieldNames()).doesNotContain("email", "name");
  }

  @Test
  void refusesUnknownTypesAndMissingFields() {
    assertThatThrownBy(() -> CODEC.fromJson("user.deleted.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class)
        .hasMessageContaining("user.deleted.v1");
    JsonObject json = CODEC.toJson(samples().get(0));
    json.remove("password_hash");
    assertThatThrownBy(() -> CODEC.fromJson(UserRegistered.TYPE, json))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("password_hash");
  }
}
