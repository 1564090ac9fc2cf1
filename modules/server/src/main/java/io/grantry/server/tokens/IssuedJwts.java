package io.grantry.server.tokens;

import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;

/**
 * Whether a presented access token JWT is the one this server issued under its {@code jti}: the one
 * place that decides between comparing the hash its issuing event recorded and verifying its
 * signature.
 *
 * <p>Every access token JWT is signed before its issuing event is appended, and the event records
 * the SHA-256 of the exact compact token ({@code access_token_hash}; the token-state row keeps it).
 * A presented token whose SHA-256 equals the recorded one is that very string, so it needs no
 * signature check: the ECDSA verification was about a quarter of the server's CPU for a JWT
 * introspected for the first time.
 *
 * <p>Why this is sound. The {@code jti} that chose the row comes from the token's unverified
 * payload, so an attacker chooses which recorded hash is compared; nothing else. To be accepted
 * without a signature check, a token that is not the one we signed (changed claims, another
 * signature, another key, {@code alg: none}, another header, the same {@code jti} signed by a key
 * we do not hold or by another server) must have the same SHA-256 as a token we signed: a second
 * preimage of SHA-256, which nobody can find (2^256 work; not even a collision, 2^128, helps, since
 * the attacker does not choose our token). Every other string fails the comparison and is verified
 * exactly as before, so it is accepted only with our signature. The recorded hash is no credential
 * either: it does not give back the token (whose ECDSA signature alone carries 256 bits an attacker
 * cannot guess), while storing the signature would have. The header is still read and checked
 * ({@link JwsVerifier#readUnverified}): a token signed with a key since withdrawn from the
 * published set is refused at once, as the verification refuses it.
 *
 * <p>When the recorded hash is absent (a token issued before hashes were recorded) or differs, the
 * signature decides. A different hash with a valid signature is one of our tokens all the same: a
 * refresh answered again within its grace period re-signs the access token the first answer
 * recorded (ECDSA signatures are randomized, so the string differs); such a token is verified, as
 * every token was before.
 *
 * <p>The hash is compared in constant time ({@link MessageDigest#isEqual}); nothing secret depends
 * on it, but it costs nothing.
 */
public final class IssuedJwts {
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();

  private IssuedJwts() {}

  /**
   * True if {@code token} is the access token JWT the server issued: its SHA-256 equals {@code
   * recordedHash} (base64url, from the token's row), or else its signature verifies with {@code
   * verifier} (and it says {@code typ: at+jwt}). The caller has read the token's header and payload
   * with {@link JwsVerifier#readUnverified} and found its row by the payload's {@code jti}.
   */
  public static boolean issued(String token, Optional<String> recordedHash, JwsVerifier verifier) {
    if (recordedHash.isPresent() && matches(token, recordedHash.get())) {
      return true;
    }
    try {
      verifier.verify(token, JwsSigner.TYP_ACCESS_TOKEN);
      return true;
    } catch (InvalidJwsException e) {
      return false;
    }
  }

  /** True if SHA-256 of {@code token}'s exact bytes is {@code recordedHash} (base64url). */
  public static boolean matches(String token, String recordedHash) {
    byte[] expected;
    try {
      expected = B64URL.decode(recordedHash);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(sha256(token), expected);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }
}
