package io.grantry.domain.grant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How codes, refresh tokens and access token ids name their grant, and how their secrets are
 * hashed.
 *
 * <p>A code or refresh token is {@code <grantId>.<secret>}: the grant id locates the stream {@code
 * grant:<grantId>} without a lookup, and only the secret decides. Events and projections hold
 * {@code BASE64URL(SHA-256(UTF-8(secret)))}, never the secret. Changing the grant id part of a
 * token sends it to a stream whose hashes it does not match, so the locator needs no protection of
 * its own. An access token's {@code jti} is {@code <grantId>.<unique part>} for the same reason:
 * revocation and introspection of a JWT find its stream from its {@code jti}.
 *
 * <h2>Streams</h2>
 *
 * <ul>
 *   <li>Authorization code grant: one stream {@code grant:<grantId>} from the code to the last
 *       refresh, appended with the version read (redeem and rotate are exact decisions).
 *   <li>client_credentials: one stream per issued token, {@code grant:<grantId>} with a fresh grant
 *       id, created with the "no stream" expectation. This is the high-throughput path: ids are
 *       random, so concurrent issuances never touch the same stream head and never conflict or wait
 *       on each other's row lock. One stream per client with an "any" expectation would avoid
 *       version conflicts but still serialize every issuance of a busy client on that stream's head
 *       row and hash chain. Revoking one token appends to its own stream; revoking all of a
 *       client's tokens is a projection query plus one append per live token (or a check of the
 *       client's state at introspection).
 * </ul>
 *
 * <h2>Opaque access tokens</h2>
 *
 * A client registered with {@code access_token_format=opaque} gets {@code <grantId>~<secret>} (256
 * random bits) instead of a JWT. Its {@code jti} is {@code <grantId>.<hash of the secret>}: events
 * and the token-state projection hold only that, and introspection, revocation and userinfo
 * recompute it from the presented token and find the row by its primary key, one indexed lookup.
 * The {@code ~} (unreserved in RFC 3986, allowed in an RFC 6750 bearer token) tells it apart from a
 * JWT (two dots) and from a code or refresh token (one dot) before any lookup. A JWT's {@code jti}
 * suffix is 16 characters and a hash 43, so neither kind can name the other's row.
 */
public final class GrantTokens {
  public static final String STREAM_PREFIX = "grant:";
  public static final int MAX_GRANT_ID_LENGTH = 64;
  public static final int MAX_JTI_LENGTH = 200;

  /** Separates the grant id from the secret in an opaque access token. */
  public static final char OPAQUE_SEPARATOR = '~';

  /*
   * A grant id is [A-Za-z0-9_-]{1,64} (no '.': the first '.' of a token ends it) and a jti's suffix
   * [A-Za-z0-9._~-]+. Checked by a loop over the characters rather than a regular expression:
   * every token issued and every event of a grant checks them, and the matchers were 2.5% of a
   * client_credentials request's CPU (GrantTokensTest compares the two on random strings).
   */
  /** An unpadded base64url SHA-256: 43 characters, the last with two zero bits. */
  private static final Pattern HASH = Pattern.compile("[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]");

  private GrantTokens() {}

  /**
   * Hex digits of the creation time at the start of a {@link #newGrantId new grant id}: enough
   * until the year 2527.
   */
  public static final int GRANT_ID_TIME_DIGITS = 11;

  /** Random bytes at the end of a new grant id: 96 bits, 16 base64url characters. */
  public static final int GRANT_ID_RANDOM_BYTES = 12;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * A new grant id: {@value #GRANT_ID_TIME_DIGITS} lowercase hex digits of {@code epochMillis},
   * then the {@value #GRANT_ID_RANDOM_BYTES} random bytes in base64url (27 characters).
   *
   * <p>Time first because a grant id is the key, or the start of the key, of several B-tree indexes
   * written on every issuance: the stream id {@code grant:<grantId>}, the events' {@code
   * (stream_id, version)}, the grants and access tokens projections (a {@code jti} starts with the
   * grant id). Random ids scatter those inserts over the whole of each index, so on a large ledger
   * most land on pages not in cache, and each first change to a page after a checkpoint writes a
   * full-page image to the WAL: issuance got slower as the ledger grew (issue #8). Ids that grow
   * with time append at the right edge of each index. Lowercase hex digits sort by value under
   * every collation, not only {@code C}, and all ids made before the year 2527 have the same
   * length, so later ids sort after earlier ones (from another millisecond) as strings and as
   * bytes.
   *
   * <p>A grant id is not a secret: it locates a stream, and every token that carries one also
   * carries its own 256-bit secret, or is a signed JWT. The id now tells when the grant was made,
   * which the tokens' {@code iat} tells anyway. The 96 random bits keep ids made in the same
   * millisecond apart.
   */
  public static String newGrantId(long epochMillis, byte[] random) {
    if (epochMillis < 0 || epochMillis >>> (4 * GRANT_ID_TIME_DIGITS) != 0) {
      throw new IllegalArgumentException(
          "a grant id's time is 0 to 16^11 - 1 milliseconds since 1970");
    }
    if (random == null || random.length != GRANT_ID_RANDOM_BYTES) {
      throw new IllegalArgumentException(
          "a grant id needs " + GRANT_ID_RANDOM_BYTES + " random bytes");
    }
    char[] time = new char[GRANT_ID_TIME_DIGITS];
    for (int i = GRANT_ID_TIME_DIGITS - 1; i >= 0; i--) {
      time[i] = HEX[(int) (epochMillis & 0xF)];
      epochMillis >>>= 4;
    }
    return new String(time) + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  public static String streamId(String grantId) {
    if (!isGrantId(grantId)) {
      throw new IllegalArgumentException("not a grant id");
    }
    return STREAM_PREFIX + grantId;
  }

  public static boolean isGrantId(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_GRANT_ID_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (!base64UrlChar(value.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** {@code <grantId>.<secret>}. */
  public static String token(String grantId, String secret) {
    if (!isGrantId(grantId) || secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("a token is a grant id, '.', and a non-empty secret");
    }
    return grantId + "." + secret;
  }

  /** The grant id of a code, refresh token or {@code jti}; empty if it has none. */
  public static Optional<String> grantIdOf(String tokenOrJti) {
    if (tokenOrJti == null) {
      return Optional.empty();
    }
    int dot = tokenOrJti.indexOf('.');
    if (dot < 0 || dot == tokenOrJti.length() - 1) {
      return Optional.empty();
    }
    String grantId = tokenOrJti.substring(0, dot);
    return isGrantId(grantId) ? Optional.of(grantId) : Optional.empty();
  }

  /** The secret part of {@code <grantId>.<secret>}; empty if the token is not of that form. */
  public static Optional<String> secretOf(String token) {
    return grantIdOf(token).map(id -> token.substring(id.length() + 1));
  }

  /** An opaque access token {@code <grantId>~<secret>}; its {@code jti} is {@link #opaqueJti}. */
  public static String opaqueAccessToken(String grantId, String secret) {
    if (!isGrantId(grantId) || secret == null || !isBase64Url(secret)) {
      throw new IllegalArgumentException(
          "an opaque access token is a grant id, '~', and a base64url secret");
    }
    return grantId + OPAQUE_SEPARATOR + secret;
  }

  /**
   * The {@code jti} recorded for the opaque access token {@code <grantId>~<secret>}: {@code
   * <grantId>.<hash(secret)>}.
   */
  public static String opaqueJti(String grantId, String secret) {
    return jti(grantId, hash(secret));
  }

  /**
   * The {@code jti} of a presented opaque access token, computed without any lookup; empty when
   * {@code token} does not have the shape of one (a JWT, a refresh token, garbage).
   */
  public static Optional<String> opaqueJtiOf(String token) {
    if (token == null || token.length() > MAX_GRANT_ID_LENGTH + 1 + 128) {
      return Optional.empty();
    }
    int sep = token.indexOf(OPAQUE_SEPARATOR);
    if (sep <= 0 || sep == token.length() - 1 || token.indexOf(OPAQUE_SEPARATOR, sep + 1) >= 0) {
      return Optional.empty();
    }
    String grantId = token.substring(0, sep);
    String secret = token.substring(sep + 1);
    if (!isGrantId(grantId) || !isBase64Url(secret)) {
      return Optional.empty();
    }
    return Optional.of(opaqueJti(grantId, secret));
  }

  private static boolean isBase64Url(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= 'A' && c <= 'Z'
          || c >= 'a' && c <= 'z'
          || c >= '0' && c <= '9'
          || c == '-'
          || c == '_')) {
        return false;
      }
    }
    return !s.isEmpty();
  }

  /** A {@code jti} that names its grant: {@code <grantId>.<unique>}. */
  public static String jti(String grantId, String unique) {
    String jti = grantId + "." + unique;
    if (!isJtiOf(grantId, jti)) {
      throw new IllegalArgumentException(
          "a jti is a grant id, '.', and 1 or more of A-Z a-z 0-9 . _ ~ -");
    }
    return jti;
  }

  /**
   * True if {@code jti} is {@code <grantId>.<unique>} for this grant, at most {@value
   * #MAX_JTI_LENGTH} characters.
   */
  public static boolean isJtiOf(String grantId, String jti) {
    return isGrantId(grantId)
        && jti != null
        && jti.length() <= MAX_JTI_LENGTH
        && jti.length() > grantId.length() + 1
        && jti.startsWith(grantId)
        && jti.charAt(grantId.length()) == '.'
        && jtiSuffix(jti, grantId.length() + 1);
  }

  private static boolean jtiSuffix(String jti, int from) {
    for (int i = from; i < jti.length(); i++) {
      char c = jti.charAt(i);
      if (!base64UrlChar(c) && c != '.' && c != '~') {
        return false;
      }
    }
    return true;
  }

  /** [A-Za-z0-9_-] */
  private static boolean base64UrlChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }

  /** {@code BASE64URL(SHA-256(UTF-8(secret)))}, the only form in which a secret is stored. */
  public static String hash(String secret) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  /** True if {@code value} has the shape of {@link #hash}'s output. */
  public static boolean isHash(String value) {
    return value != null && HASH.matcher(value).matches();
  }

  /**
   * Compares two hashes in time independent of where they differ. Hashes of 256-bit secrets leak
   * little through timing, but a presented value is attacker-chosen, so the comparison that decides
   * whether it is the current one does not shortcut.
   */
  public static boolean hashesEqual(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
