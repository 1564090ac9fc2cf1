package io.grantry.domain.client;

import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.FieldRules;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a client's keys and its key-based authentication must look like to be registered (RFC 7591
 * §2, RFC 7517, OIDC Core §9, RFC 7523): the method's keys are there, and only public ones.
 *
 * <ul>
 *   <li>{@code private_key_jwt} needs exactly one of {@code jwks} and {@code jwks_uri}; no other
 *       method takes either (the keys would check nothing).
 *   <li>{@code jwks} is a JWK Set of 1 to {@value #MAX_KEYS} signing keys, each an EC P-256, an RSA
 *       (2048 bits or more) or an Ed25519 key, with no private part (a registration that carries a
 *       private key is refused, so that it is not kept in the ledger); {@code kid}s are unique.
 *   <li>{@code jwks_uri} is an absolute https URI ({@code http} only on a loopback host).
 *   <li>{@code token_endpoint_auth_signing_alg}: an asymmetric algorithm for {@code
 *       private_key_jwt}, HS256 for {@code client_secret_jwt}, nothing for the other methods.
 * </ul>
 */
public final class ClientKeyRules {
  public static final int MAX_KEYS = 20;
  public static final int MAX_JWKS_LENGTH = 32 * 1024;

  /** Members of a private (or symmetric) JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
  public static final Set<String> PRIVATE_MEMBERS =
      Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

  /** 2048 bits of an RSA modulus in base64url without padding. */
  private static final int RSA_2048_B64 = 342;

  private ClientKeyRules() {}

  /** Why the key-based authentication of {@code m} cannot be registered, or empty. */
  public static Optional<ValidationError> problemWith(ClientMetadata m) {
    return problemsWith(m).stream().findFirst();
  }

  /** Every reason why the key-based authentication of {@code m} cannot be registered. */
  public static List<ValidationError> problemsWith(ClientMetadata m) {
    List<ValidationError> out = new ArrayList<>(profileProblems(m));
    out.addAll(keyProblems(m));
    return out;
  }

  /**
   * FAPI 2.0 Security Profile §5.3.2.1 and §5.4: a FAPI client authenticates with {@code
   * private_key_jwt} (we offer no mutual TLS), signed PS256, ES256 or EdDSA, and its tokens are
   * sender-constrained with DPoP, which a JWT access token carries ({@code cnf.jkt}); so does any
   * client registered with {@code dpop_bound_access_tokens}. Every grant such a client may have
   * binds its tokens (RFC 9449 §5: the token endpoint asks each of its requests for a proof, the
   * device grant and token exchange included), so no grant type is refused here; FAPI 2.0 itself
   * forbids only the implicit, hybrid and password grants, which this server does not offer.
   */
  private static List<ValidationError> profileProblems(ClientMetadata m) {
    List<ValidationError> out = new ArrayList<>();
    ClientSecurity s = m.security();
    String dpopField = s.fapi2() ? "profile" : "dpop_bound_access_tokens";
    if (s.requiresDpop() && m.accessTokenFormat() != AccessTokenFormat.JWT) {
      out.add(
          new ValidationError(
              dpopField,
              "DPoP-bound access tokens are JWTs (cnf.jkt): access_token_format must be jwt"));
    }
    if (!s.fapi2()) {
      return out;
    }
    if (m.tokenEndpointAuthMethod() != TokenEndpointAuthMethod.PRIVATE_KEY_JWT) {
      out.add(
          new ValidationError(
              "token_endpoint_auth_method",
              "a FAPI 2.0 client authenticates with private_key_jwt (FAPI 2.0 §5.3.2.1)"));
    }
    if (s.tokenEndpointAuthSigningAlg().filter(a -> a == JwsAlgorithm.RS256).isPresent()) {
      out.add(
          new ValidationError(
              "token_endpoint_auth_signing_alg",
              "a FAPI 2.0 client signs with PS256, ES256 or EdDSA (FAPI 2.0 §5.4.1)"));
    }
    return out;
  }

  private static List<ValidationError> keyProblems(ClientMetadata m) {
    List<ValidationError> out = new ArrayList<>();
    ClientSecurity s = m.security();
    TokenEndpointAuthMethod method = m.tokenEndpointAuthMethod();
    if (method == TokenEndpointAuthMethod.PRIVATE_KEY_JWT) {
      if (s.jwks().isPresent() == s.jwksUri().isPresent()) {
        out.add(
            new ValidationError(
                "jwks",
                "private_key_jwt needs the client's public keys: exactly one of jwks and"
                    + " jwks_uri"));
      }
    } else if (s.jwks().isPresent() || s.jwksUri().isPresent()) {
      out.add(
          new ValidationError(
              s.jwks().isPresent() ? "jwks" : "jwks_uri",
              "jwks and jwks_uri are the keys of private_key_jwt; this client authenticates with "
                  + method.wire()));
    }
    if (s.tokenEndpointAuthSigningAlg().isPresent()) {
      JwsAlgorithm alg = s.tokenEndpointAuthSigningAlg().get();
      if (method == TokenEndpointAuthMethod.PRIVATE_KEY_JWT && !alg.asymmetric()) {
        out.add(
            new ValidationError(
                "token_endpoint_auth_signing_alg",
                "private_key_jwt assertions are signed with ES256, RS256, PS256 or EdDSA"));
      } else if (method == TokenEndpointAuthMethod.CLIENT_SECRET_JWT && alg != JwsAlgorithm.HS256) {
        out.add(
            new ValidationError(
                "token_endpoint_auth_signing_alg",
                "client_secret_jwt assertions are HS256 (RFC 7518)"));
      } else if (!method.usesAssertion()) {
        out.add(
            new ValidationError(
                "token_endpoint_auth_signing_alg",
                "only private_key_jwt and client_secret_jwt sign assertions"));
      }
    }
    if (s.jwksUri().isPresent()) {
      Optional<ValidationError> uri = FieldRules.webUri("jwks_uri", s.jwksUri().get());
      if (uri.isPresent()) {
        out.add(uri.get());
      } else if (s.jwksUri().get().indexOf('#') >= 0) {
        out.add(new ValidationError("jwks_uri", "jwks_uri must not have a fragment"));
      }
    }
    s.jwks().flatMap(ClientKeyRules::jwksProblem).ifPresent(out::add);
    return out;
  }

  /** Why {@code text} is not a JWK Set of public signing keys we can use, or empty. */
  public static Optional<ValidationError> jwksProblem(String text) {
    if (text.length() > MAX_JWKS_LENGTH) {
      return error("jwks", "jwks is longer than " + MAX_JWKS_LENGTH + " characters");
    }
    JsonObject set;
    try {
      set = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return error("jwks", "jwks must be a JWK Set: {\"keys\": [...]}");
    }
    if (!(set.getValue("keys") instanceof JsonArray keys)
        || keys.isEmpty()
        || keys.size() > MAX_KEYS) {
      return error("jwks", "jwks must hold 1 to " + MAX_KEYS + " keys in \"keys\"");
    }
    Set<String> kids = new HashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      if (!(keys.getValue(i) instanceof JsonObject jwk)) {
        return error("jwks", "jwks key " + i + " is not a JSON object");
      }
      Optional<String> problem = keyProblem(jwk);
      if (problem.isPresent()) {
        return Optional.of(
            new ValidationError("jwks", "jwks key " + i + ": " + problem.get(), "/jwks/keys/" + i));
      }
      Object kid = jwk.getValue("kid");
      if (kid != null && !kids.add(String.valueOf(kid))) {
        return error("jwks", "jwks has the kid '" + shown(String.valueOf(kid)) + "' twice");
      }
    }
    return Optional.empty();
  }

  /**
   * Each key of JWK Set {@code text} by its public part alone ({@code kty}, {@code crv}, {@code x},
   * {@code y}, {@code n}, {@code e}), so that one key under another {@code kid} is still the same
   * key; a set that does not parse has none.
   */
  public static List<String> publicParts(String text) {
    List<String> out = new ArrayList<>();
    try {
      if (new JsonObject(text).getValue("keys") instanceof JsonArray keys) {
        for (Object k : keys) {
          if (k instanceof JsonObject jwk) {
            StringBuilder b = new StringBuilder();
            for (String member : new String[] {"kty", "crv", "x", "y", "n", "e"}) {
              b.append(member).append('=').append(jwk.getValue(member)).append(';');
            }
            out.add(b.toString());
          }
        }
      }
    } catch (DecodeException | ClassCastException e) {
      // not a JWK Set: no keys
    }
    return out;
  }

  /** Why {@code jwk} is not a public signing key we can use, or empty. */
  public static Optional<String> keyProblem(JsonObject jwk) {
    for (String member : PRIVATE_MEMBERS) {
      if (jwk.containsKey(member)) {
        return Optional.of(
            "holds a private or symmetric key ('" + member + "'); register public keys only");
      }
    }
    Object kid = jwk.getValue("kid");
    if (kid != null && (!(kid instanceof String k) || k.isEmpty() || k.length() > 200)) {
      return Optional.of("kid must be a string of 1 to 200 characters");
    }
    Object use = jwk.getValue("use");
    if (use != null && !"sig".equals(use)) {
      return Optional.of("use must be 'sig'");
    }
    Object alg = jwk.getValue("alg");
    Optional<JwsAlgorithm> declared =
        alg instanceof String a ? JwsAlgorithm.fromWire(a) : Optional.empty();
    if (alg != null && declared.filter(JwsAlgorithm::asymmetric).isEmpty()) {
      return Optional.of("alg must be ES256, RS256, PS256 or EdDSA");
    }
    Object kty = jwk.getValue("kty");
    if ("EC".equals(kty)) {
      if (!"P-256".equals(jwk.getValue("crv"))) {
        return Optional.of("an EC key must be on P-256");
      }
      return base64url(jwk, "x", 43).or(() -> base64url(jwk, "y", 43));
    }
    if ("RSA".equals(kty)) {
      Object n = jwk.getValue("n");
      if (!(n instanceof String ns) || ns.length() < RSA_2048_B64 || !isBase64Url(ns)) {
        return Optional.of("an RSA key needs a modulus n of 2048 bits or more");
      }
      Object e = jwk.getValue("e");
      return e instanceof String es && !es.isEmpty() && es.length() <= 8 && isBase64Url(es)
          ? Optional.empty()
          : Optional.of("an RSA key needs its exponent e");
    }
    if ("OKP".equals(kty)) {
      if (!"Ed25519".equals(jwk.getValue("crv"))) {
        return Optional.of("an OKP key must be Ed25519");
      }
      return base64url(jwk, "x", 43);
    }
    return Optional.of("kty must be EC, RSA or OKP");
  }

  private static Optional<String> base64url(JsonObject jwk, String member, int length) {
    Object v = jwk.getValue(member);
    return v instanceof String s && s.length() == length && isBase64Url(s)
        ? Optional.empty()
        : Optional.of("'" + member + "' must be " + length + " base64url characters");
  }

  private static boolean isBase64Url(String s) {
    return s.chars()
        .allMatch(
            c ->
                (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_');
  }

  private static String shown(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  private static Optional<ValidationError> error(String field, String message) {
    return Optional.of(new ValidationError(field, message));
  }
}
