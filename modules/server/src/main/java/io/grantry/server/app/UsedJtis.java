package io.grantry.server.app;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * Single use of a JWT's {@code jti} across every server instance sharing the database: client
 * assertions (RFC 7523 §3 item 7) and DPoP proofs (RFC 9449 §11.1). A {@code jti} is claimed by
 * inserting its row into {@code used_jtis}; a second claim finds it taken until the row expires
 * (the JWT's own expiry, so a replay inside its lifetime is always seen). The row's key is a
 * SHA-256 of the kind, the party and the {@code jti}, never the JWT. An expired row is taken over
 * by a new claim, and {@link #prune} deletes expired rows in small batches; neither is needed for
 * correctness.
 *
 * <p>One round trip per claim: an {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE expired}, which
 * returns a row only if the claim won.
 */
public final class UsedJtis {
  /** What kind of JWT a jti belongs to, so that the spaces of jtis never meet. */
  public enum Kind {
    CLIENT_ASSERTION("a"),
    DPOP_PROOF("d");

    private final String tag;

    Kind(String tag) {
      this.tag = tag;
    }
  }

  private static final String CLAIM =
      "INSERT INTO used_jtis (id, expires_at) VALUES ($1, $2)"
          + " ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at"
          + " WHERE used_jtis.expires_at < now()"
          + " RETURNING 1";

  private static final String PRUNE =
      "DELETE FROM used_jtis WHERE id IN (SELECT id FROM used_jtis WHERE expires_at < now()"
          + " LIMIT $1 FOR UPDATE SKIP LOCKED)";

  private final Pool pool;

  public UsedJtis(Pool pool) {
    this.pool = pool;
  }

  /**
   * True if this is the first use of {@code jti} by {@code party} for {@code kind} before {@code
   * expiresAt}; false if it was used already.
   */
  public Future<Boolean> claim(Kind kind, String party, String jti, Instant expiresAt) {
    return pool.preparedQuery(CLAIM)
        .execute(
            Tuple.of(key(kind, party, jti), OffsetDateTime.ofInstant(expiresAt, ZoneOffset.UTC)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Deletes at most {@code batch} expired rows; how many it deleted. */
  public Future<Integer> prune(int batch) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(batch)).map(rows -> rows.rowCount());
  }

  static String key(Kind kind, String party, String jti) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(kind.tag.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(party.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(jti.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
