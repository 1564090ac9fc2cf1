package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CHALLENGE;
import static io.grantry.domain.grant.GrantFixtures.CODE_HASH;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GrantEventCodecTest {
  private static final GrantEventCodec CODEC = GrantEventCodec.INSTANCE;
  private static final Scopes SCOPES = Scopes.of("openid", "offline_access");

  static List<GrantEvent> samples() {
    return List.of(
        new AuthorizationCodeIssued(
            "g-1",
            "c-1",
            "u-1",
            "https://app.example/cb",
            true,
            SCOPES,
            CODE_HASH,
            Optional.of(CHALLENGE),
            Optional.of("n"),
            T0.minusSeconds(9),
            Optional.of(Duration.ofSeconds(300)),
            T0,
            T0.plusSeconds(60),
            Optional.empty()),
        new AuthorizationCodeIssued(
            "g-2",
            "c-1",
            "u-1",
            "http://127.0.0.1:5000/cb",
            false,
            Scopes.empty(),
            CODE_HASH,
            Optional.empty(),
            Optional.empty(),
            T0,
            Optional.empty(),
            T0,
            T0.plusSeconds(60),
            Optional.empty()),
        new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                "g-1",
                "c-1",
                "u-1",
                jti(0),
                T0.plusSeconds(3600),
                Optional.of(refreshHash(0)),
                Optional.of(T0.plus(Duration.ofDays(15))),
                Optional.of(T0.plus(Duration.ofDays(90))),
                SCOPES,
                T0)),
        new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                "g-1",
                "c-1",
                "u-1",
                jti(0),
                T0.plusSeconds(3600),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Scopes.of("openid"),
                T0)),
        new AuthorizationCodeReplayed("g-1", "c-1", T0),
        new RefreshTokenRotated(
            "g-1",
            "c-1",
            "u-1",
            refreshHash(0),
            refreshHash(1),
            jti(1),
            T0.plusSeconds(3600),
            T0.plus(Duration.ofDays(15)),
            Scopes.of("openid"),
            T0),
        new RefreshTokenReuseDetected("g-1", "c-1", refreshHash(0), T0),
        new GrantRevoked("g-1", RevocationReason.REFRESH_REUSE, "system", T0),
        new AccessTokenRevoked("g-1", jti(0), "client:c-1", T0),
        new ClientCredentialsIssued(
            "cc-1", "svc", "cc-1.1", Scopes.of("orders.read"), T0, T0.plusSeconds(300)),
        new TokenExchanged(
            "x-2",
            "svc-b",
            "u-1",
            Optional.of("u-1"),
            TokenType.ACCESS_TOKEN,
            "x-1",
            List.of("g-1", "x-1"),
            Optional.of(
                new Actor(
                    "svc-b", "svc-b", Optional.of(new Actor("svc-a", "svc-a", Optional.empty())))),
            Optional.of("cc-1"),
            Scopes.of("orders.read"),
            List.of("https://orders.example", "billing"),
            Optional.of("x-2.a1"),
            Optional.of(T0.plusSeconds(600)),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            T0,
            Optional.empty(),
            Optional.empty(),
            Optional.empty()),
        new TokenExchanged(
            "x-3",
            "app",
            "u-1",
            Optional.of("u-1"),
            TokenType.ID_TOKEN,
            "g-1",
            List.of("g-1"),
            Optional.empty(),
            Optional.empty(),
            Scopes.of("openid"),
            List.of(),
            Optional.empty(),
            Optional.empty(),
            Optional.of(refreshHash(3)),
            Optional.of(T0.plus(Duration.ofDays(15))),
            Optional.of(T0.plus(Duration.ofDays(90))),
            T0,
            Optional.empty(),
            Optional.empty(),
            Optional.empty()),
        new ClientCredentialsIssued(
            "cc-2",
            "svc",
            "cc-2.1",
            Scopes.of("orders.read"),
            T0,
            T0.plusSeconds(300),
            Optional.of(JKT),
            Optional.empty()),
        new DeviceAuthorizationRequested(
            "d-1",
            "tv",
            SCOPES,
            CODE_HASH,
            refreshHash(7),
            Duration.ofSeconds(5),
            T0,
            T0.plusSeconds(600)),
        new DeviceAuthorizationApproved(
            "d-1", "tv", "u-1", T0.minusSeconds(30), Optional.of("s-1"), T0.plusSeconds(20)),
        new DeviceAuthorizationApproved(
            "d-1", "tv", "u-1", T0, Optional.empty(), T0.plusSeconds(20)),
        new DeviceAuthorizationDenied("d-2", "tv", "u-1", T0.plusSeconds(20)),
        new DeviceCodeRedeemed(
            new CodeRedemption.Issued(
                "d-1",
                "tv",
                "u-1",
                "d-1.at0",
                T0.plusSeconds(3600),
                Optional.of(refreshHash(0)),
                Optional.of(T0.plus(Duration.ofDays(15))),
                Optional.empty(),
                SCOPES,
                T0.plusSeconds(25))),
        new DeviceCodeReplayed("d-1", "tv", T0.plusSeconds(30)),
        // RFC 9449: a code bound by dpop_jkt, tokens bound at redemption and at a refresh.
        new AuthorizationCodeIssued(
            "g-3",
            "c-1",
            "u-1",
            "https://app.example/cb",
            false,
            SCOPES,
            CODE_HASH,
            Optional.of(CHALLENGE),
            Optional.empty(),
            T0,
            Optional.empty(),
            T0,
            T0.plusSeconds(60),
            Optional.empty(),
            Optional.of(JKT)),
        new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                "g-3",
                "c-1",
                "u-1",
                jti(0),
                T0.plusSeconds(3600),
                Optional.of(refreshHash(0)),
                Optional.of(T0.plus(Duration.ofDays(15))),
                Optional.empty(),
                SCOPES,
                T0,
                Optional.of(JKT),
                Optional.of(JKT),
                Optional.empty())),
        new RefreshTokenRotated(
            "g-3",
            "c-1",
            "u-1",
            refreshHash(0),
            refreshHash(1),
            jti(1),
            T0.plusSeconds(3600),
            T0.plus(Duration.ofDays(15)),
            SCOPES,
            T0,
            Optional.of(JKT),
            Optional.empty()));
  }

  private static final String JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

  @Test
  void deviceEventsHoldHashesAndTheInterval() {
    JsonObject requested = CODEC.toJson(samples().get(13));
    assertThat(requested.fieldNames())
        .containsExactlyInAnyOrder(
            "grant_id",
            "client_id",
            "scopes",
            "device_code_hash",
            "user_code_hash",
            "interval",
            "requested_at",
            "expires_at");
    assertThat(requested.getLong("interval")).isEqualTo(5L);
    assertThatThrownBy(
            () ->
                CODEC.fromJson(
                    DeviceAuthorizationRequested.TYPE, requested.copy().put("interval", 0)))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("interval");
    assertThat(CODEC.toJson(samples().get(15)).fieldNames()).doesNotContain("session_id");
    JsonObject halfRefresh = CODEC.toJson(samples().get(17));
    halfRefresh.remove("refresh_token_hash");
    assertThatThrownBy(() -> CODEC.fromJson(DeviceCodeRedeemed.TYPE, halfRefresh))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("refresh_token_expires_at");
  }

  @Test
  void theKeysOfBoundCodesAndTokensAreWrittenOnlyWhenThereAreSome() {
    List<GrantEvent> all = samples();
    JsonObject code = CODEC.toJson(all.get(all.size() - 3));
    assertThat(code.getString("dpop_jkt")).isEqualTo(JKT);
    JsonObject redeemed = CODEC.toJson(all.get(all.size() - 2));
    assertThat(redeemed.getString("dpop_jkt")).isEqualTo(JKT);
    assertThat(redeemed.getString("refresh_token_dpop_jkt")).isEqualTo(JKT);
    assertThat(CODEC.toJson(all.get(all.size() - 1)).getString("dpop_jkt")).isEqualTo(JKT);
    for (GrantEvent unbound : all.subList(0, 6)) {
      assertThat(CODEC.toJson(unbound).fieldNames())
          .as("events without DPoP are as before")
          .doesNotContain("dpop_jkt", "refresh_token_dpop_jkt");
    }
  }

  @Test
  void aDpopBindingIsWrittenOnlyWhenThereIsOne() {
    List<GrantEvent> all =
        samples().stream().filter(e -> e instanceof ClientCredentialsIssued).toList();
    JsonObject bearer = CODEC.toJson(all.get(0));
    assertThat(bearer.containsKey("dpop_jkt")).as("bearer tokens' events are as before").isFalse();
    JsonObject bound = CODEC.toJson(all.get(all.size() - 1));
    assertThat(bound.getString("dpop_jkt"))
        .isEqualTo("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    assertThat(
            ((ClientCredentialsIssued) CODEC.fromJson(ClientCredentialsIssued.TYPE, bearer)).jkt())
        .isEmpty();
  }

  /**
   * The access token JWT's hash ({@code access_token_hash}, signed before the append): written only
   * when recorded, read back, optional in every event that issues an access token (events written
   * before it decode as they did, to an empty hash), and refused when it is not a base64url
   * SHA-256.
   */
  @Test
  void anAccessTokenHashIsWrittenOnlyWhenRecordedAndEventsWithoutItStayValid() {
    String hash = GrantTokens.hash("header.payload.signature");
    int issuing = 0;
    for (GrantEvent e : samples()) {
      GrantEvent hashed = GrantAccessTokens.withAccessTokenHash(e, hash);
      JsonObject before = CODEC.toJson(e);
      assertThat(before.containsKey(GrantEventCodec.ACCESS_TOKEN_HASH)).isFalse();
      if (hashed == e) {
        assertThat(GrantAccessTokens.issuedBy(e)).as(e.type()).isEmpty();
        continue;
      }
      issuing++;
      JsonObject after = CODEC.toJson(hashed);
      assertThat(after.getString(GrantEventCodec.ACCESS_TOKEN_HASH)).isEqualTo(hash);
      // Nothing else changes: the field is added, the others are as they were.
      JsonObject without = after.copy();
      without.remove(GrantEventCodec.ACCESS_TOKEN_HASH);
      assertThat(without).isEqualTo(before);
      assertThat(CODEC.fromJson(e.type(), new JsonObject(after.encode()))).isEqualTo(hashed);
      assertThat(CODEC.fromJson(e.type(), before)).isEqualTo(e);
      JsonObject bad = after.copy().put(GrantEventCodec.ACCESS_TOKEN_HASH, "header.payload");
      assertThatThrownBy(() -> CODEC.fromJson(e.type(), bad))
          .isInstanceOf(EventCodecException.class)
          .hasMessageContaining(GrantEventCodec.ACCESS_TOKEN_HASH);
    }
    // Code (authorization and device) redemptions, rotations, client_credentials, exchanges.
    assertThat(issuing).isGreaterThanOrEqualTo(5);
  }

  /** The records {@code sealed} permits, through the sealed interfaces between (CodeRedemption). */
  static List<Class<?>> records(Class<?> sealed) {
    return Arrays.stream(sealed.getPermittedSubclasses())
        .flatMap(c -> c.isSealed() ? records(c).stream() : java.util.stream.Stream.of(c))
        .collect(Collectors.toList());
  }

  @Test
  void everyEventRoundTripsThroughJsonText() {
    for (GrantEvent e : samples()) {
      assertThat(CODEC.fromJson(CODEC.type(e), new JsonObject(CODEC.toJson(e).encode())))
          .isEqualTo(e);
    }
    assertThat(samples().stream().map(Object::getClass).distinct().collect(Collectors.toList()))
        .containsExactlyInAnyOrderElementsOf(records(GrantEvent.class));
    assertThat(CODEC.types())
        .containsExactlyInAnyOrder(
            "grant.authorization_code_issued.v1",
            "grant.authorization_code_redeemed.v1",
            "grant.authorization_code_replayed.v1",
            "grant.refresh_token_rotated.v1",
            "grant.refresh_token_reuse_detected.v1",
            "grant.revoked.v1",
            "grant.access_token_revoked.v1",
            "grant.client_credentials_issued.v1",
            "grant.token_exchanged.v1",
            "grant.device_authorization_requested.v1",
            "grant.device_authorization_approved.v1",
            "grant.device_authorization_denied.v1",
            "grant.device_code_redeemed.v1",
            "grant.device_code_replayed.v1");
  }

  @Test
  void anExchangeNamesWhoActedForWhomAndTheGrantsItComesFrom() {
    JsonObject json = CODEC.toJson(samples().get(10));
    assertThat(json.fieldNames())
        .containsExactly(
            "grant_id",
            "client_id",
            "subject",
            "user_id",
            "act",
            "subject_token_type",
            "subject_grant_id",
            "grant_chain",
            "actor_grant_id",
            "scopes",
            "audiences",
            "access_token_jti",
            "access_token_expires_at",
            "exchanged_at");
    // The act claim of RFC 8693 §4.1: the current actor outermost, the earlier one nested.
    assertThat(json.getJsonObject("act"))
        .isEqualTo(
            new JsonObject()
                .put("sub", "svc-b")
                .put("client_id", "svc-b")
                .put("act", new JsonObject().put("sub", "svc-a").put("client_id", "svc-a")));
    assertThat(json.getString("subject_token_type"))
        .isEqualTo("urn:ietf:params:oauth:token-type:access_token");
    JsonObject broken = json.copy().put("grant_chain", new JsonArray().add("g-1"));
    assertThatThrownBy(() -> CODEC.fromJson(TokenExchanged.TYPE, broken))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("grant_chain");
    JsonObject halfToken = json.copy();
    halfToken.remove("access_token_expires_at");
    assertThatThrownBy(() -> CODEC.fromJson(TokenExchanged.TYPE, halfToken))
        .isInstanceOf(EventCodecException.class);
    JsonObject unknownType = json.copy().put("subject_token_type", "urn:x:saml");
    assertThatThrownBy(() -> CODEC.fromJson(TokenExchanged.TYPE, unknownType))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("subject_token_type");
  }

  @Test
  void payloadFieldNames() {
    assertThat(CODEC.toJson(samples().get(0)).fieldNames())
        .containsExactlyInAnyOrder(
            "grant_id",
            "client_id",
            "user_id",
            "redirect_uri",
            "redirect_uri_in_request",
            "scopes",
            "code_hash",
            "code_challenge",
            "code_challenge_method",
            "nonce",
            "auth_time",
            "max_age",
            "issued_at",
            "expires_at");
    assertThat(CODEC.toJson(samples().get(1)).fieldNames())
        .doesNotContain("code_challenge", "code_challenge_method", "nonce", "max_age");
    assertThat(CODEC.toJson(samples().get(0)).getString("code_challenge_method")).isEqualTo("S256");
    assertThat(CODEC.toJson(samples().get(0)).getLong("max_age")).isEqualTo(300L);
    assertThat(CODEC.toJson(samples().get(2)).fieldNames())
        .containsExactlyInAnyOrder(
            "grant_id",
            "client_id",
            "user_id",
            "access_token_jti",
            "access_token_expires_at",
            "refresh_token_hash",
            "refresh_token_expires_at",
            "grant_expires_at",
            "scopes",
            "redeemed_at");
    assertThat(CODEC.toJson(samples().get(5)).fieldNames())
        .containsExactlyInAnyOrder(
            "grant_id",
            "client_id",
            "user_id",
            "old_refresh_token_hash",
            "new_refresh_token_hash",
            "access_token_jti",
            "access_token_expires_at",
            "refresh_token_expires_at",
            "scopes",
            "rotated_at");
    assertThat(CODEC.toJson(samples().get(7)))
        .isEqualTo(
            new JsonObject()
                .put("grant_id", "g-1")
                .put("reason", "refresh_reuse")
                .put("actor", "system")
                .put("revoked_at", T0.toString()));
  }

  @Test
  void refusesUnknownTypesMissingFieldsAndUnknownValues() {
    assertThatThrownBy(() -> CODEC.fromJson("grant.deleted.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class)
        .hasMessageContaining("grant.deleted.v1");
    JsonObject noHash = CODEC.toJson(samples().get(0));
    noHash.remove("code_hash");
    assertThatThrownBy(() -> CODEC.fromJson(AuthorizationCodeIssued.TYPE, noHash))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("code_hash");
    JsonObject plain = CODEC.toJson(samples().get(0)).put("code_challenge_method", "plain");
    assertThatThrownBy(() -> CODEC.fromJson(AuthorizationCodeIssued.TYPE, plain))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("code_challenge_method");
    JsonObject reason = CODEC.toJson(samples().get(7)).put("reason", "bored");
    assertThatThrownBy(() -> CODEC.fromJson(GrantRevoked.TYPE, reason))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("bored");
    JsonObject halfRefresh = CODEC.toJson(samples().get(2));
    halfRefresh.remove("refresh_token_expires_at");
    assertThatThrownBy(() -> CODEC.fromJson(AuthorizationCodeRedeemed.TYPE, halfRefresh))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("refresh_token_expires_at");
    JsonObject fraction = CODEC.toJson(samples().get(0)).put("max_age", 1.5);
    assertThatThrownBy(() -> CODEC.fromJson(AuthorizationCodeIssued.TYPE, fraction))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("max_age");
  }

  /** SECURITY.md: no secret in an event. The secrets behind the sample hashes never appear. */
  @Test
  void payloadsHoldHashesNeverSecrets() {
    for (GrantEvent e : samples()) {
      String text = CODEC.toJson(e).encode();
      assertThat(text).doesNotContain("code-secret", "refresh-secret", GrantFixtures.VERIFIER);
    }
  }
}
