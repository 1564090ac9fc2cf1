package io.grantry.server.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client secrets: generated here, stored only as a keyed hash, checked in constant time.
 *
 * <p>Why HMAC-SHA-256 with a server-held pepper and not Argon2: a slow KDF is there to make
 * guessing a <em>low-entropy</em> password expensive. These secrets are 256 random bits, which no
 * amount of guessing reaches, so a slow KDF would buy nothing and would cap token-endpoint
 * throughput at a few dozen client authentications per second per core. The pepper (from
 * configuration, never in the database) means a leaked ledger or projection alone does not even
 * allow checking a candidate secret offline.
 *
 * <p>Stored form: {@code hmac-sha256$<base64url(HMAC-SHA-256(pepper, secret))>}.
 *
 * <p>{@code client_secret_jwt} (OIDC Core §9) is the exception: the client MACs its assertions with
 * the secret itself (HS256), so the server must be able to recompute it. Such a secret is derived,
 * {@code base64url(HMAC-SHA-256(k, salt))} with a fresh random 128-bit salt and {@code k} a key
 * derived from the pepper for this purpose only, and stored as {@code
 * hmac-sha256-derived$<salt>$<base64url(HMAC-SHA-256(pepper, secret))>}. The ledger alone still
 * reveals nothing: recomputing the secret takes the pepper, which never is in the database. (The
 * price, stated plainly: whoever holds both the pepper and the ledger holds these secrets, where
 * for the other methods they could only check guesses. A client that wants no shared secret at all
 * uses {@code private_key_jwt}.)
 */
public final class ClientSecrets {
  public static final String SCHEME = "hmac-sha256";
  private static final String PREFIX = SCHEME + "$";

  /** The scheme of {@code client_secret_jwt} secrets, which the server can recompute. */
  public static final String DERIVED_SCHEME = "hmac-sha256-derived";

  private static final String DERIVED_PREFIX = DERIVED_SCHEME + "$";
  private static final int SALT_BYTES = 16;

  /** Pepper length floor: an HMAC-SHA-256 key shorter than the output weakens it (RFC 2104 §3). */
  public static final int MIN_PEPPER_BYTES = 32;

  public static final int SECRET_BYTES = 32;

  /** Longer presented secrets are not ours; refusing them early bounds the work per request. */
  private static final int MAX_PRESENTED_LENGTH = 512;

  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec pepper;
  private final SecretKeySpec derivation;
  private final SecureRandom random;
  private final ThreadLocal<Mac> macs;

  /**
   * @param pepper the server's secret HMAC key, at least 32 bytes; copied
   */
  public ClientSecrets(byte[] pepper) {
    this(pepper, new SecureRandom());
  }

  public ClientSecrets(byte[] pepper, SecureRandom random) {
    Objects.requireNonNull(pepper, "pepper");
    if (pepper.length < MIN_PEPPER_BYTES) {
      throw new IllegalArgumentException(
          "client secret pepper must be at least " + MIN_PEPPER_BYTES + " bytes");
    }
    this.pepper = new SecretKeySpec(pepper, "HmacSHA256");
    this.random = Objects.requireNonNull(random, "random");
    this.macs = ThreadLocal.withInitial(this::newMac);
    this.derivation =
        new SecretKeySpec(
            hmac(this.pepper, "grantry/client_secret_jwt/derivation".getBytes(UTF_8)),
            "HmacSHA256");
  }

  /** A secret and its stored form. */
  public record Generated(String secret, String hash) {
    @Override
    public String toString() {
      return "Generated[secret=<redacted>, hash=" + hash + "]";
    }
  }

  /**
   * A new secret for a {@code client_secret_jwt} client, which the server can recompute from its
   * stored form and the pepper ({@link #macKey}); 256 bits, base64url (43 characters).
   */
  public Generated generateDerived() {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    String saltText = B64URL.encodeToString(salt);
    String secret = derive(saltText);
    return new Generated(
        secret, DERIVED_PREFIX + saltText + "$" + B64URL.encodeToString(mac(secret)));
  }

  /**
   * The HS256 key of a {@code client_secret_jwt} client's assertions: the bytes of the secret
   * behind {@code encodedHash}, recomputed; empty for a secret that was not derived (issued for
   * another method) or a stored form that does not check out.
   */
  public Optional<byte[]> macKey(String encodedHash) {
    if (encodedHash == null || !encodedHash.startsWith(DERIVED_PREFIX)) {
      return Optional.empty();
    }
    int dollar = encodedHash.indexOf('$', DERIVED_PREFIX.length());
    if (dollar < 0) {
      return Optional.empty();
    }
    String secret = derive(encodedHash.substring(DERIVED_PREFIX.length(), dollar));
    byte[] expected = decode(encodedHash);
    return expected != null && MessageDigest.isEqual(expected, mac(secret))
        ? Optional.of(secret.getBytes(UTF_8))
        : Optional.empty();
  }

  private String derive(String salt) {
    return B64URL.encodeToString(hmac(derivation, ("v1$" + salt).getBytes(UTF_8)));
  }

  private static byte[] hmac(SecretKeySpec key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(pepper);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /**
   * A new secret: 256 bits from {@link SecureRandom}, base64url without padding (43 characters).
   */
  public String generate() {
    byte[] bytes = new byte[SECRET_BYTES];
    random.nextBytes(bytes);
    return B64URL.encodeToString(bytes);
  }

  /**
   * The stored form of {@code secret}. Deterministic: the same secret and pepper give the same
   * hash.
   */
  public String hash(String secret) {
    Objects.requireNonNull(secret, "secret");
    return PREFIX + B64URL.encodeToString(mac(secret));
  }

  /**
   * True if {@code presented} is the secret behind {@code encodedHash}; constant time in the hash
   * comparison.
   */
  public boolean verify(String presented, String encodedHash) {
    if (presented == null || encodedHash == null || presented.length() > MAX_PRESENTED_LENGTH) {
      return false;
    }
    byte[] expected = decode(encodedHash);
    byte[] actual = mac(presented);
    return expected != null && MessageDigest.isEqual(expected, actual);
  }

  /**
   * True if {@code presented} matches any of {@code encodedHashes} (the current secret and one
   * still in its rotation grace period). Every hash is compared, match or not.
   */
  public boolean verifyAny(String presented, Collection<String> encodedHashes) {
    if (presented == null || presented.length() > MAX_PRESENTED_LENGTH) {
      return false;
    }
    byte[] actual = mac(presented);
    boolean match = false;
    for (String encoded : encodedHashes) {
      byte[] expected = encoded == null ? null : decode(encoded);
      match |= expected != null && MessageDigest.isEqual(expected, actual);
    }
    return match;
  }

  private byte[] mac(String secret) {
    Mac mac = macs.get();
    return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] decode(String encodedHash) {
    String mac;
    if (encodedHash.startsWith(PREFIX)) {
      mac = encodedHash.substring(PREFIX.length());
    } else if (encodedHash.startsWith(DERIVED_PREFIX)) {
      mac = encodedHash.substring(encodedHash.lastIndexOf('$') + 1);
    } else {
      return null;
    }
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(mac);
      return bytes.length == 32 ? bytes : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "ClientSecrets[" + SCHEME + ", pepper=<redacted>]";
  }
}
