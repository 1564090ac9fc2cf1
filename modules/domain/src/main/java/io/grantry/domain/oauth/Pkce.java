package io.grantry.domain.oauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Proof Key for Code Exchange with the {@code S256} method only (RFC 7636; {@code plain} is
 * refused, RFC 9700 §2.1.1). Pure computation: SHA-256 has no clock, I/O or randomness.
 */
public final class Pkce {
  /** The only {@code code_challenge_method} accepted. */
  public static final String S256 = "S256";

  public static final int MIN_VERIFIER_LENGTH = 43;
  public static final int MAX_VERIFIER_LENGTH = 128;

  /** RFC 7636 §4.1: {@code code-verifier = 43*128unreserved}. */
  private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");

  /** RFC 7636 §4.2: an S256 challenge is the unpadded base64url encoding of 32 bytes. */
  private static final Pattern S256_CHALLENGE =
      Pattern.compile("[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]");

  private Pkce() {}

  /** True if {@code verifier} has the syntax of RFC 7636 §4.1. */
  public static boolean isValidVerifier(String verifier) {
    return verifier != null && VERIFIER.matcher(verifier).matches();
  }

  /**
   * True if {@code challenge} can be an S256 challenge: 43 base64url characters encoding 32 bytes.
   */
  public static boolean isValidChallenge(String challenge) {
    return challenge != null && S256_CHALLENGE.matcher(challenge).matches();
  }

  /**
   * {@code BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))} (RFC 7636 §4.2).
   *
   * @throws IllegalArgumentException if {@code verifier} is not a valid code verifier
   */
  public static String s256(String verifier) {
    if (!isValidVerifier(verifier)) {
      throw new IllegalArgumentException(
          "code_verifier must be 43-128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)");
    }
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(sha256(verifier.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * True if {@code verifier} is well formed and its S256 transformation equals {@code challenge}
   * (RFC 7636 §4.6). The comparison takes the same time wherever the strings differ.
   */
  public static boolean verifies(String verifier, String challenge) {
    if (!isValidVerifier(verifier) || challenge == null) {
      return false;
    }
    return MessageDigest.isEqual(
        s256(verifier).getBytes(StandardCharsets.US_ASCII),
        challenge.getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }
}
