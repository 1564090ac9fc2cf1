package io.grantry.rebuild;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.AuthorizationCodeReplayed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.CodeRedemption;
import io.grantry.domain.grant.DeviceAuthorizationApproved;
import io.grantry.domain.grant.DeviceAuthorizationDenied;
import io.grantry.domain.grant.DeviceAuthorizationRequested;
import io.grantry.domain.grant.DeviceCodeRedeemed;
import io.grantry.domain.grant.DeviceCodeReplayed;
import io.grantry.domain.grant.GrantAccessTokens;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.server.tokenstate.TokenChange;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The rebuild's streaming reading of grant events ({@link TokenChangeReader#read}) gives exactly
 * what decoding through the codec gives ({@link TokenChange#of}), for random events of every kind,
 * with their keys in any order and in jsonb's spacing, and for payloads the codec writes
 * differently or refuses (which go to the codec).
 */
class TokenChangeReaderTest {
  private final Random random = new Random(7);

  private Instant instant() {
    // 2000 to 2100, with 0 to 9 fraction digits as Instant.toString writes them.
    long seconds = 946_684_800L + (long) (random.nextDouble() * 3_155_760_000L);
    int nanos =
        switch (random.nextInt(4)) {
          case 0 -> 0;
          case 1 -> random.nextInt(1000) * 1_000_000;
          case 2 -> random.nextInt(1_000_000) * 1000;
          default -> random.nextInt(1_000_000_000);
        };
    return Instant.ofEpochSecond(seconds, nanos);
  }

  private String id() {
    return Long.toHexString(random.nextLong() & Long.MAX_VALUE) + "abc" + random.nextInt(1000);
  }

  private Scopes scopes() {
    List<String> all =
        List.of("openid", "profile", "email", "offline_access", "api.read", "api:write", "z");
    List<String> pick = new ArrayList<>();
    for (String s : all) {
      if (random.nextBoolean()) {
        pick.add(s);
      }
    }
    return Scopes.of(pick.isEmpty() ? List.of("openid") : pick);
  }

  private GrantEvent event() {
    String g = id();
    Instant at = instant();
    return switch (random.nextInt(12)) {
      case 0 ->
          new AuthorizationCodeIssued(
              g,
              "client-" + random.nextInt(5),
              "user-" + random.nextInt(50),
              "https://app.example/cb",
              random.nextBoolean(),
              scopes(),
              "h".repeat(43),
              random.nextBoolean() ? Optional.of("c".repeat(43)) : Optional.empty(),
              random.nextBoolean() ? Optional.of("nonce") : Optional.empty(),
              instant(),
              random.nextBoolean() ? Optional.of(Duration.ofSeconds(300)) : Optional.empty(),
              at,
              at.plusSeconds(60),
              Optional.empty());
      case 1 -> {
        boolean refresh = random.nextBoolean();
        yield new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                g,
                "c1",
                "u1",
                g + ".j" + random.nextInt(1000),
                instant(),
                refresh ? Optional.of("r".repeat(42) + "A") : Optional.empty(),
                refresh ? Optional.of(instant()) : Optional.empty(),
                random.nextBoolean() ? Optional.of(instant()) : Optional.empty(),
                scopes(),
                at));
      }
      case 2 ->
          new RefreshTokenRotated(
              g,
              "c1",
              "u2",
              "o".repeat(42) + "A",
              "n".repeat(42) + "E",
              g + ".k1",
              instant(),
              instant(),
              scopes(),
              at);
      case 3 -> new AccessTokenRevoked(g, g + ".x", "admin:ops", at);
      case 4 ->
          new GrantRevoked(
              g,
              RevocationReason.values()[random.nextInt(RevocationReason.values().length)],
              "user:u1",
              at);
      case 5 -> new AuthorizationCodeReplayed(g, "c1", at);
      case 8 ->
          new DeviceAuthorizationRequested(
              g,
              "tv-" + random.nextInt(3),
              scopes(),
              "d".repeat(43),
              "u".repeat(43),
              Duration.ofSeconds(5),
              at,
              at.plusSeconds(600));
      case 9 ->
          random.nextBoolean()
              ? new DeviceAuthorizationApproved(
                  g,
                  "tv-1",
                  "user-" + random.nextInt(50),
                  at.minusSeconds(30),
                  random.nextBoolean() ? Optional.of("s" + random.nextInt(9)) : Optional.empty(),
                  at)
              : new DeviceAuthorizationDenied(g, "tv-2", "user-" + random.nextInt(50), at);
      case 10 -> {
        boolean refresh = random.nextBoolean();
        yield new DeviceCodeRedeemed(
            new CodeRedemption.Issued(
                g,
                "tv-1",
                "u1",
                g + ".j" + random.nextInt(1000),
                instant(),
                refresh ? Optional.of("r".repeat(42) + "A") : Optional.empty(),
                refresh ? Optional.of(instant()) : Optional.empty(),
                random.nextBoolean() ? Optional.of(instant()) : Optional.empty(),
                scopes(),
                at));
      }
      case 11 -> new DeviceCodeReplayed(g, "tv-1", at);
      default ->
          new ClientCredentialsIssued(
              g, "svc-" + random.nextInt(3), g + ".cc", scopes(), at, at.plusSeconds(3600));
    };
  }

  private static LedgerCopy.Raw raw(String type, String json) {
    return new LedgerCopy.Raw(
        1,
        1,
        "grant:x",
        1,
        type,
        json.getBytes(StandardCharsets.UTF_8),
        UUID.randomUUID(),
        null,
        0,
        null,
        null);
  }

  /** The payload as jsonb prints it: keys by length then bytes, ", " and ": " between. */
  private static String jsonbText(JsonObject o) {
    Map<String, Object> sorted =
        new TreeMap<>(
            (a, b) -> a.length() != b.length() ? a.length() - b.length() : a.compareTo(b));
    sorted.putAll(o.getMap());
    StringBuilder sb = new StringBuilder("{");
    for (var e : sorted.entrySet()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(Json.encode(e.getKey())).append(": ").append(Json.encode(e.getValue()));
    }
    return sb.append('}').toString();
  }

  @Test
  void readsEveryKindOfEventAsTheCodecDoes() {
    for (int i = 0; i < 20_000; i++) {
      // Half of the issuing events with a JWT's recorded hash (access_token_hash), half without.
      GrantEvent e =
          random.nextBoolean()
              ? GrantAccessTokens.withAccessTokenHash(event(), GrantTokens.hash(id()))
              : event();
      JsonObject json = GrantEventCodec.INSTANCE.toJson(e);
      TokenChange expected = TokenChange.of(GrantEventCodec.INSTANCE.fromJson(e.type(), json));
      for (String text : List.of(json.encode(), jsonbText(json))) {
        List<TokenChange> read = TokenChangeReader.read(List.of(raw(e.type(), text)));
        if (expected == null) {
          assertThat(read).isEmpty();
        } else {
          assertThat(read).containsExactly(expected);
          // The streaming reading itself, not its fallback through the codec (device grants, few,
          // are read by the codec only).
          assertThat(TokenChangeReader.fast(e.type(), text.getBytes(StandardCharsets.UTF_8)))
              .isEqualTo(e.type().contains("device") ? null : expected);
        }
      }
    }
  }

  @Test
  void aMalformedAccessTokenHashGoesToTheCodecWhichRefusesIt() {
    JsonObject cc =
        new JsonObject()
            .put("grant_id", "g1")
            .put("client_id", "svc")
            .put("jti", "g1.a")
            .put("scopes", new JsonArray().add("api.read"))
            .put("issued_at", "2026-01-02T03:04:05Z")
            .put("expires_at", "2026-01-02T04:04:05Z")
            .put(GrantEventCodec.ACCESS_TOKEN_HASH, "not-a-hash");
    assertThat(
            TokenChangeReader.fast(
                ClientCredentialsIssued.TYPE, cc.encode().getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThatThrownBy(
            () -> TokenChangeReader.read(List.of(raw(ClientCredentialsIssued.TYPE, cc.encode()))))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining(GrantEventCodec.ACCESS_TOKEN_HASH);
    String hash = GrantTokens.hash("a JWT");
    TokenChange read =
        TokenChangeReader.fast(
            ClientCredentialsIssued.TYPE,
            cc.put(GrantEventCodec.ACCESS_TOKEN_HASH, hash)
                .encode()
                .getBytes(StandardCharsets.UTF_8));
    assertThat(read.tokenHash()).isEqualTo(hash);
  }

  @Test
  void otherFormsGoThroughTheCodec() {
    String g = "g1";
    // Scopes out of order, a time with an offset, a time before 2000: not read the fast way, same
    // op.
    JsonObject cc =
        new JsonObject()
            .put("grant_id", g)
            .put("client_id", "svc")
            .put("jti", g + ".a")
            .put("scopes", new JsonArray().add("z").add("api.read"))
            .put("issued_at", "2026-01-02T03:04:05.123456789+01:00")
            .put("expires_at", "1999-12-31T23:59:59.9999999Z");
    assertThat(
            TokenChangeReader.fast(
                ClientCredentialsIssued.TYPE, cc.encode().getBytes(StandardCharsets.UTF_8)))
        .isNull();
    TokenChange op =
        TokenChangeReader.read(List.of(raw(ClientCredentialsIssued.TYPE, cc.encode()))).get(0);
    assertThat(op.scope()).isEqualTo("api.read z");
    assertThat(op.at())
        .isEqualTo(LedgerCopy.pgMicros(Instant.parse("2026-01-02T02:04:05.123456Z")));
    // (Truncated towards 2000, as the statements' driver truncates: 0, not -1.)
    assertThat(op.accessExpires())
        .isEqualTo(LedgerCopy.pgMicros(Instant.parse("1999-12-31T23:59:59.9999999Z")))
        .isZero();
    // A missing field fails as the codec fails it.
    JsonObject broken = cc.copy();
    broken.remove("jti");
    Assertions.assertThatThrownBy(
            () ->
                TokenChangeReader.read(List.of(raw(ClientCredentialsIssued.TYPE, broken.encode()))))
        .hasMessageContaining("jti");
    // An unknown type in a grant stream fails the rebuild, as it fails the statements.
    Assertions.assertThatThrownBy(() -> TokenChangeReader.read(List.of(raw("grant.what.v1", "{}"))))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void timesAreTheMicrosecondsTheStatementsStore() {
    for (int i = 0; i < 100_000; i++) {
      Instant t = instant();
      char[] text = ("  " + t + " ").toCharArray();
      assertThat(InstantText.micros(text, 2, text.length - 3))
          .as(t.toString())
          .isEqualTo(LedgerCopy.pgMicros(t));
    }
    for (String bad :
        List.of(
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01 00:00:00Z",
            "1999-12-31T23:59:59Z")) {
      assertThat(InstantText.micros(bad.toCharArray(), 0, bad.length()))
          .as(bad)
          .isEqualTo(TokenChange.NO_TIME);
    }
  }
}
