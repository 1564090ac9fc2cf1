package io.grantry.domain.client;

import static io.grantry.domain.client.ClientFixtures.HASH_1;
import static io.grantry.domain.client.ClientFixtures.HASH_2;
import static io.grantry.domain.client.ClientFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class ClientEventCodecTest {
  private static final ClientEventCodec CODEC = ClientEventCodec.INSTANCE;

  static List<ClientEvent> samples() {
    return List.of(
        new ClientRegistered("web", ClientFixtures.webApp(), Optional.of(HASH_1), T0),
        new ClientRegistered("app", ClientFixtures.nativeApp(), Optional.empty(), T0),
        new ClientRegistered("svc", ClientFixtures.service(), Optional.of(HASH_2), T0),
        new ClientUpdated("web", ClientFixtures.nativeApp(), T0.plusSeconds(1)),
        new ClientSecretRotated("web", HASH_2, HASH_1, T0.plusSeconds(3600), T0),
        new ClientDisabled("web", T0.plusMillis(1234)),
        new ClientUpdated(
            "web",
            ClientFixtures.nativeApp().toBuilder()
                .idTokenSignedResponseAlg(SigningAlgorithm.ES256)
                .build(),
            T0.plusSeconds(2)),
        new ClientUpdated(
            "web",
            ClientFixtures.webApp().toBuilder()
                .logout(
                    new LogoutMetadata(
                        List.of("https://app.example.com/bye"),
                        Optional.of("https://app.example.com/backchannel"),
                        true))
                .build(),
            T0.plusSeconds(5)),
        new ClientUpdated(
            "svc",
            ClientFixtures.service().toBuilder()
                .grantTypes(GrantType.CLIENT_CREDENTIALS, GrantType.TOKEN_EXCHANGE)
                .tokenExchange(
                    new TokenExchangeMetadata(
                        List.of("https://orders.example", "billing"), true, false))
                .build(),
            T0.plusSeconds(6)),
        new ClientDisabled("web", T0.plusMillis(2345), Optional.of(DisableReason.COMPROMISED)),
        new ClientEnabled("web", T0.plusMillis(2345)),
        // The last two: the tests of the profile and of client keys read them so.
        new ClientRegistered(
            "bank",
            ClientFixtures.keyedService().toBuilder()
                .accessTokenFormat(AccessTokenFormat.JWT)
                .security(
                    new ClientSecurity(
                        false,
                        ClientFixtures.keyedService().security().jwks(),
                        Optional.empty(),
                        Optional.empty(),
                        true,
                        true))
                .build(),
            Optional.empty(),
            T0),
        new ClientRegistered("keys", ClientFixtures.keyedService(), Optional.empty(), T0));
  }

  @Test
  void dpopAndTheProfileAreWrittenOnlyWhenSet() {
    List<ClientEvent> all = samples();
    JsonObject fapi = CODEC.toJson(all.get(all.size() - 2));
    assertThat(fapi.getBoolean("dpop_bound_access_tokens")).isTrue();
    assertThat(fapi.getString("profile")).isEqualTo("fapi2");
    JsonObject keyed = CODEC.toJson(all.get(all.size() - 1));
    assertThat(keyed.fieldNames()).doesNotContain("dpop_bound_access_tokens", "profile");
    JsonObject unknown = fapi.copy().put("profile", "fapi1");
    assertThatThrownBy(() -> CODEC.fromJson(ClientRegistered.TYPE, unknown))
        .hasMessageContaining("profile");
  }

  @Test
  void tokenExchangeSettingsAreWrittenOnlyWhenSetAndOldPayloadsReadAsNone() {
    JsonObject before = CODEC.toJson(samples().get(2));
    assertThat(before.fieldNames())
        .as("a client registered before token exchange keeps its payload")
        .doesNotContain(
            "token_exchange_audiences",
            "token_exchange_allow_impersonation",
            "token_exchange_allow_refresh_token");
    assertThat(
            ((ClientRegistered) CODEC.fromJson(ClientRegistered.TYPE, before))
                .metadata()
                .tokenExchange())
        .isEqualTo(TokenExchangeMetadata.NONE);
    JsonObject set = CODEC.toJson(samples().get(8));
    assertThat(set.getJsonArray("grant_types"))
        .contains("urn:ietf:params:oauth:grant-type:token-exchange");
    assertThat(set.getJsonArray("token_exchange_audiences"))
        .isEqualTo(new JsonArray().add("https://orders.example").add("billing"));
    assertThat(set.getBoolean("token_exchange_allow_impersonation")).isTrue();
    assertThat(set.containsKey("token_exchange_allow_refresh_token")).isFalse();
    JsonObject bad = set.copy().put("token_exchange_allow_impersonation", "yes");
    assertThatThrownBy(() -> CODEC.fromJson(ClientUpdated.TYPE, bad))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("token_exchange_allow_impersonation");
  }

  @Test
  void clientKeysAreWrittenOnlyWhenRegisteredAndAbsentOnesReadAsNone() {
    JsonObject plain = CODEC.toJson(samples().get(0));
    assertThat(plain.fieldNames())
        .as("payloads of clients without keys are as before")
        .doesNotContain("jwks", "jwks_uri", "token_endpoint_auth_signing_alg");
    JsonObject keyed = CODEC.toJson(samples().get(samples().size() - 1));
    assertThat(keyed.getJsonObject("jwks").getJsonArray("keys")).hasSize(1);
    assertThat(keyed.getString("token_endpoint_auth_signing_alg")).isEqualTo("ES256");
    assertThat(keyed.getString("token_endpoint_auth_method")).isEqualTo("private_key_jwt");
    JsonObject bad = keyed.copy().put("token_endpoint_auth_signing_alg", "none");
    Assertions.assertThatThrownBy(() -> CODEC.fromJson("client.registered.v1", bad))
        .hasMessageContaining("token_endpoint_auth_signing_alg");
  }

  @Test
  void everyEventRoundTrips() {
    for (ClientEvent e : samples()) {
      JsonObject json = CODEC.toJson(e);
      // through the text form too, as the store would keep it
      JsonObject reread = new JsonObject(json.encode());
      assertThat(CODEC.fromJson(CODEC.type(e), reread)).isEqualTo(e);
    }
  }

  @Test
  void aDisableReasonIsWrittenOnlyWhenGivenAndOldPayloadsReadAsNone() {
    JsonObject plain = CODEC.toJson(new ClientDisabled("web", T0));
    assertThat(plain.containsKey("reason")).isFalse();
    assertThat(((ClientDisabled) CODEC.fromJson(ClientDisabled.TYPE, plain)).reason()).isEmpty();
    JsonObject compromised =
        CODEC.toJson(new ClientDisabled("web", T0, Optional.of(DisableReason.COMPROMISED)));
    assertThat(compromised.getString("reason")).isEqualTo("compromised");
    assertThatThrownBy(
            () -> CODEC.fromJson(ClientDisabled.TYPE, compromised.copy().put("reason", "bored")))
        .hasMessageContaining("reason");
  }

  @Test
  void everyEventClassHasATypeAndASample() {
    List<String> sampled =
        samples().stream().map(ClientEvent::type).distinct().collect(Collectors.toList());
    assertThat(sampled).containsExactlyInAnyOrderElementsOf(CODEC.types());
    assertThat(samples().stream().map(Object::getClass).distinct().collect(Collectors.toList()))
        .containsExactlyInAnyOrderElementsOf(
            Arrays.asList(ClientEvent.class.getPermittedSubclasses()));
  }

  @Test
  void typeStringsAreVersionedAndStable() {
    assertThat(CODEC.types())
        .containsExactlyInAnyOrder(
            "client.registered.v1",
            "client.updated.v1",
            "client.secret_rotated.v1",
            "client.disabled.v1",
            "client.enabled.v1");
  }

  @Test
  void payloadUsesOAuthFieldNamesAndHoldsOnlyTheHash() {
    JsonObject json = CODEC.toJson(samples().get(0));
    assertThat(json.getString("client_id")).isEqualTo("web");
    assertThat(json.getString("client_type")).isEqualTo("confidential");
    assertThat(json.getString("token_endpoint_auth_method")).isEqualTo("client_secret_basic");
    assertThat(json.getJsonArray("redirect_uris"))
        .isEqualTo(new JsonArray().add("https://app.example.com/cb"));
    assertThat(json.getJsonArray("grant_types"))
        .isEqualTo(new JsonArray().add("authorization_code").add("refresh_token"));
    assertThat(json.getString("access_token_format")).isEqualTo("jwt");
    assertThat(json.getString("access_token_signing_alg")).isEqualTo("ES256");
    assertThat(json.getString("secret_hash")).isEqualTo(HASH_1);
    assertThat(json.getString("registered_at")).isEqualTo("2025-01-01T10:00:00Z");
    assertThat(json.fieldNames()).doesNotContain("secret", "client_secret");
    assertThat(CODEC.toJson(samples().get(1)).containsKey("secret_hash")).isFalse();
  }

  @Test
  void theIdTokenAlgorithmIsWrittenOnlyWhenNotTheDefaultAndReadAsRs256WhenAbsent() {
    JsonObject rs = CODEC.toJson(samples().get(0));
    assertThat(rs.containsKey("id_token_signed_response_alg"))
        .as("payloads of RS256 clients are as before")
        .isFalse();
    assertThat(
            ((ClientRegistered) CODEC.fromJson("client.registered.v1", rs))
                .metadata()
                .idTokenSignedResponseAlg())
        .isEqualTo(SigningAlgorithm.RS256);
    ClientUpdated es = (ClientUpdated) samples().get(6);
    assertThat(CODEC.toJson(es).getString("id_token_signed_response_alg")).isEqualTo("ES256");
    JsonObject bad = CODEC.toJson(es).put("id_token_signed_response_alg", "HS256");
    Assertions.assertThatThrownBy(() -> CODEC.fromJson("client.updated.v1", bad))
        .hasMessageContaining("id_token_signed_response_alg");
  }

  @Test
  void refusesUnknownTypesClearly() {
    assertThatThrownBy(() -> CODEC.fromJson("client.registered.v9", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class)
        .hasMessageContaining("client.registered.v9")
        .hasMessageContaining("client.registered.v1");
    assertThatThrownBy(() -> CODEC.fromJson("user.registered.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class);
    assertThatThrownBy(() -> CODEC.fromJson(null, new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class);
  }

  @Test
  void refusesMalformedPayloadsNamingTheField() {
    JsonObject json = CODEC.toJson(samples().get(0));
    assertThatThrownBy(
            () -> CODEC.fromJson(ClientRegistered.TYPE, json.copy().put("client_type", "hybrid")))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("client_type");
    json.remove("registered_at");
    assertThatThrownBy(() -> CODEC.fromJson(ClientRegistered.TYPE, json))
        .isInstanceOf(EventCodecException.class)
        .hasMessage("client.registered.v1: field 'registered_at' is missing");
    JsonObject rotated = CODEC.toJson(samples().get(4)).put("rotated_at", "yesterday");
    assertThatThrownBy(() -> CODEC.fromJson(ClientSecretRotated.TYPE, rotated))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("rotated_at");
    JsonObject grants =
        CODEC.toJson(samples().get(0)).put("grant_types", new JsonArray().add("password"));
    assertThatThrownBy(() -> CODEC.fromJson(ClientRegistered.TYPE, grants))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("grant_types");
  }
}
