package io.grantry.server.clients;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.server.app.UsedJtis;
import io.grantry.server.config.ClientSettings;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.ForeignJws;
import io.grantry.server.crypto.InvalidJwsException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Client authentication with a signed JWT (RFC 7523 §2.2 and §3, OIDC Core §9): {@code
 * private_key_jwt}, signed with one of the client's registered keys ({@link ClientKeys}), and
 * {@code client_secret_jwt}, an HS256 MAC with the client's secret. An assertion authenticates its
 * client only if all of this holds:
 *
 * <ul>
 *   <li>it is a compact JWS of a known algorithm (never {@code none}) that the client's method
 *       allows and, when registered, its {@code token_endpoint_auth_signing_alg};
 *   <li>{@code iss} and {@code sub} are both the client's id (and the form's {@code client_id}, if
 *       it sends one);
 *   <li>{@code aud} is, or contains, the issuer; for compatibility the token endpoint's URL or the
 *       URL of the endpoint it is presented at is accepted too;
 *   <li>{@code exp} is present, not past, and at most GRANTRY_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS
 *       ahead; {@code nbf} and {@code iat}, when present, are not in the future (each time with
 *       GRANTRY_CLOCK_SKEW_SECONDS of leeway);
 *   <li>the signature (or MAC) verifies; the client is registered, enabled and registered for the
 *       method;
 *   <li>its {@code jti} has not been used by the client before: the first use claims it in the
 *       database ({@link UsedJtis}) until the assertion expires, so a replay to any server instance
 *       fails.
 * </ul>
 *
 * <p>Every failure is the same {@code invalid_client} to the caller; {@link Outcome#why} is for
 * logs and tests.
 */
public final class ClientAssertions {
  /** {@code client_assertion_type} of a JWT assertion (RFC 7523 §2.2). */
  public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  /** The longest {@code jti} we keep track of. */
  public static final int MAX_JTI_LENGTH = 256;

  /** Who the assertion authenticated, or why it did not. */
  public record Outcome(ClientState.Registered client, String why) {
    static Outcome refused(String why) {
      return new Outcome(null, why);
    }

    public boolean ok() {
      return client != null;
    }
  }

  private final String issuer;
  private final ClientDirectory clients;
  private final ClientKeys keys;
  private final ClientSecrets secrets;
  private final UsedJtis jtis;
  private final ClientSettings settings;
  private final Clock clock;

  public ClientAssertions(
      String issuer,
      ClientDirectory clients,
      ClientKeys keys,
      ClientSecrets secrets,
      UsedJtis jtis,
      ClientSettings settings,
      Clock clock) {
    this.issuer = issuer;
    this.clients = clients;
    this.keys = keys;
    this.secrets = secrets;
    this.jtis = jtis;
    this.settings = settings;
    this.clock = clock;
  }

  /** The {@code iss} of an assertion, unverified, for throttling by the claimed client; or null. */
  public static String claimedClientId(String assertion) {
    try {
      return ForeignJws.parse(assertion).payload().getValue("iss") instanceof String iss
              && !iss.isEmpty()
              && iss.length() <= 256
          ? iss
          : null;
    } catch (InvalidJwsException e) {
      return null;
    }
  }

  /**
   * Checks {@code assertion}, presented at {@code endpointPath} (for example {@code /token}) with
   * the form's {@code client_id} ({@code formClientId}, null if none).
   */
  public Future<Outcome> authenticate(String assertion, String formClientId, String endpointPath) {
    ForeignJws jws;
    try {
      jws = ForeignJws.parse(assertion);
    } catch (InvalidJwsException e) {
      return refused(e.getMessage());
    }
    JsonObject claims = jws.payload();
    if (!(claims.getValue("iss") instanceof String iss) || iss.isEmpty() || iss.length() > 256) {
      return refused("no iss");
    }
    if (!iss.equals(claims.getValue("sub"))) {
      return refused("sub is not iss");
    }
    if (formClientId != null && !formClientId.equals(iss)) {
      return refused("client_id is not the assertion's iss");
    }
    if (!audienceFits(claims.getValue("aud"), endpointPath)) {
      return refused("aud is not this server");
    }
    Instant now = clock.instant();
    long skew = settings.clockSkew().toSeconds();
    if (!(claims.getValue("exp") instanceof Number expValue)) {
      return refused("no exp");
    }
    long exp = expValue.longValue();
    if (exp + skew <= now.getEpochSecond()) {
      return refused("expired");
    }
    if (exp > now.getEpochSecond() + settings.assertionMaxLifetime().toSeconds() + skew) {
      return refused("exp is too far ahead");
    }
    for (String notAfterNow : new String[] {"nbf", "iat"}) {
      Object t = claims.getValue(notAfterNow);
      if (t != null && (!(t instanceof Number n) || n.longValue() > now.getEpochSecond() + skew)) {
        return refused(notAfterNow + " is in the future");
      }
    }
    if (!(claims.getValue("jti") instanceof String jti)
        || jti.isEmpty()
        || jti.length() > MAX_JTI_LENGTH) {
      return refused("no jti");
    }
    return clients
        .find(iss)
        .compose(
            found -> {
              if (found.isEmpty() || found.get().disabled()) {
                return refused("no such client");
              }
              ClientState.Registered client = found.get();
              TokenEndpointAuthMethod method = client.metadata().tokenEndpointAuthMethod();
              if (!algAllowed(client, method, jws.alg())) {
                return refused("alg not allowed for the client");
              }
              Future<Boolean> verified =
                  method == TokenEndpointAuthMethod.CLIENT_SECRET_JWT
                      ? Future.succeededFuture(macVerifies(client, jws, now))
                      : keys.candidates(client, jws.kid(), jws.alg())
                          .map(ks -> ks.stream().anyMatch(k -> jws.verifies(k.publicKey())));
              return verified.compose(
                  ok -> {
                    if (!ok) {
                      return refused("signature does not verify");
                    }
                    Instant until = Instant.ofEpochSecond(exp + skew);
                    return jtis.claim(UsedJtis.Kind.CLIENT_ASSERTION, iss, jti, until)
                        .map(
                            first ->
                                first
                                    ? new Outcome(client, null)
                                    : Outcome.refused("jti replayed"));
                  });
            });
  }

  private static boolean algAllowed(
      ClientState.Registered client, TokenEndpointAuthMethod method, JwsAlgorithm alg) {
    Optional<JwsAlgorithm> registered = client.metadata().security().tokenEndpointAuthSigningAlg();
    if (registered.isPresent() && registered.get() != alg) {
      return false;
    }
    // FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA; RS256 (PKCS#1 v1.5) is not among them.
    if (client.metadata().security().fapi2() && alg == JwsAlgorithm.RS256) {
      return false;
    }
    return switch (method) {
      case PRIVATE_KEY_JWT -> alg.asymmetric();
      case CLIENT_SECRET_JWT -> alg == JwsAlgorithm.HS256;
      default -> false;
    };
  }

  private boolean macVerifies(ClientState.Registered client, ForeignJws jws, Instant now) {
    for (String hash : client.acceptedSecretHashes(now)) {
      Optional<byte[]> key = secrets.macKey(hash);
      if (key.isPresent() && jws.verifiesHmac(key.get())) {
        return true;
      }
    }
    return false;
  }

  private boolean audienceFits(Object aud, String endpointPath) {
    if (aud instanceof String one) {
      return fits(one, endpointPath);
    }
    if (aud instanceof JsonArray many && !many.isEmpty() && many.size() <= 10) {
      for (Object a : many) {
        if (a instanceof String one && fits(one, endpointPath)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean fits(String aud, String endpointPath) {
    return aud.equals(issuer) || aud.equals(issuer + "/token") || aud.equals(issuer + endpointPath);
  }

  private static Future<Outcome> refused(String why) {
    return Future.succeededFuture(Outcome.refused(why));
  }
}
