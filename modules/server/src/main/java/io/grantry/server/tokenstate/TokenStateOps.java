package io.grantry.server.tokenstate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.AuthorizationCodeReplayed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenReuseDetected;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.BinaryCopy;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The grant events of a rebuild's page reduced to what the token-state tables take from them (one
 * {@link Op} per event that changes token state), read straight from the payload's JSON bytes with
 * Jackson's streaming parser: no {@code JsonObject}, no domain event, no {@code Tuple} or {@code
 * OffsetDateTime} per event. Replaying millions of events spent most of its CPU building those only
 * to take a few strings and times out of them again.
 *
 * <p>What an op holds is what {@link TokenStateProjection#statements} puts in its tuples, so the
 * fold gives the same rows. The fast reading only takes the plain forms the codec writes (string
 * fields, scopes an array of valid scope tokens in sorted order, times as {@link Instant#toString}
 * writes them after 2000); an event with anything else in the fields the projection reads is
 * decoded by {@link io.grantry.domain.grant.GrantEventCodec} as before (which accepts what it
 * accepts and refuses the rest, failing the rebuild as the statement path would). Fields the
 * projection does not read are not checked here: the codec checked them when the event was appended
 * and the hash chain ({@code audit verify}) keeps them as they were.
 */
final class TokenStateOps {
  private TokenStateOps() {}

  static final byte CODE_ISSUED = 1;
  static final byte CODE_REDEEMED = 2;
  static final byte REFRESH_ROTATED = 3;
  static final byte CLIENT_CREDENTIALS = 4;
  static final byte ACCESS_REVOKED = 5;
  static final byte GRANT_REVOKED = 6;

  private static final long NULL = BinaryCopy.NULL_TIME;

  /** 2000-01-01T00:00:00Z in Unix seconds. */
  private static final long PG_EPOCH_SECONDS = LedgerCopy.PG_EPOCH_MICROS / 1_000_000L;

  private static final JsonFactory JSON = new JsonFactory();

  /**
   * One event's change to token state. {@code at} is the event's time (issued, redeemed, rotated or
   * revoked at), {@code accessExpires} and {@code refreshExpires} the tokens' expiry, all as
   * PostgreSQL microseconds ({@link BinaryCopy#micros}); {@code hash} the refresh token issued,
   * {@code oldHash} the one rotated out, {@code reason} a revocation's wire name.
   */
  record Op(
      byte kind,
      String grantId,
      String clientId,
      String userId,
      String scope,
      String jti,
      String hash,
      String oldHash,
      String reason,
      long at,
      long accessExpires,
      long refreshExpires) {}

  /** The ops of a page of events as read, in commit order (grant streams only). */
  static List<Op> fromRaw(List<LedgerCopy.Raw> page) {
    List<Op> out = new ArrayList<>(page.size());
    for (LedgerCopy.Raw r : page) {
      if (!r.streamId().startsWith(GrantTokens.STREAM_PREFIX)) {
        continue;
      }
      Op op = fast(r.type(), r.payload());
      if (op == null) {
        // Not in the plain form (or not a grant event at all): the codec decides, as the statements
        // do.
        op = of(TokenStateProjection.decoded(r.decode()));
      }
      if (op != NONE) {
        // Hashed here, on every core: a String keeps its hash, and the fold, on one thread, looks
        // them up.
        op.grantId().hashCode();
        if (op.jti() != null) {
          op.jti().hashCode();
        }
        if (op.hash() != null) {
          op.hash().hashCode();
        }
        if (op.oldHash() != null) {
          op.oldHash().hashCode();
        }
        out.add(op);
      }
    }
    return out;
  }

  /** The ops of decoded events, in order (grant streams only): the same as {@link #fromRaw}. */
  static List<Op> fromDecoded(List<RecordedEvent> page) {
    List<Op> out = new ArrayList<>(page.size());
    for (RecordedEvent re : page) {
      if (re.streamId().startsWith(GrantTokens.STREAM_PREFIX)) {
        Op op = of(TokenStateProjection.decoded(re));
        if (op != NONE) {
          out.add(op);
        }
      }
    }
    return out;
  }

  /** Marks a grant event that changes no token state. */
  static final Op NONE =
      new Op((byte) 0, null, null, null, null, null, null, null, null, NULL, NULL, NULL);

  /** The op of a decoded event ({@link #NONE} for one that changes no token state). */
  static Op of(GrantEvent e) {
    if (e instanceof AuthorizationCodeIssued c) {
      return new Op(
          CODE_ISSUED,
          c.grantId(),
          c.clientId(),
          c.userId(),
          c.scopes().value(),
          null,
          null,
          null,
          null,
          micros(c.issuedAt()),
          NULL,
          NULL);
    } else if (e instanceof AuthorizationCodeRedeemed r) {
      return new Op(
          CODE_REDEEMED,
          r.grantId(),
          r.clientId(),
          r.userId(),
          r.scopes().value(),
          r.accessTokenJti(),
          r.refreshTokenHash().orElse(null),
          null,
          null,
          micros(r.redeemedAt()),
          micros(r.accessTokenExpiresAt()),
          micros(r.refreshTokenExpiresAt().orElse(r.redeemedAt())));
    } else if (e instanceof RefreshTokenRotated r) {
      return new Op(
          REFRESH_ROTATED,
          r.grantId(),
          r.clientId(),
          r.userId(),
          r.scopes().value(),
          r.accessTokenJti(),
          r.newHash(),
          r.oldHash(),
          null,
          micros(r.rotatedAt()),
          micros(r.accessTokenExpiresAt()),
          micros(r.refreshTokenExpiresAt()));
    } else if (e instanceof ClientCredentialsIssued c) {
      return new Op(
          CLIENT_CREDENTIALS,
          c.grantId(),
          c.clientId(),
          null,
          c.scopes().value(),
          c.jti(),
          null,
          null,
          null,
          micros(c.issuedAt()),
          micros(c.expiresAt()),
          NULL);
    } else if (e instanceof AccessTokenRevoked a) {
      return new Op(
          ACCESS_REVOKED,
          a.grantId(),
          null,
          null,
          null,
          a.jti(),
          null,
          null,
          null,
          micros(a.revokedAt()),
          NULL,
          NULL);
    } else if (e instanceof GrantRevoked g) {
      return new Op(
          GRANT_REVOKED,
          g.grantId(),
          null,
          null,
          null,
          null,
          null,
          null,
          g.reason().wire(),
          micros(g.revokedAt()),
          NULL,
          NULL);
    }
    return NONE;
  }

  /** As the statements store a time: {@link BinaryCopy#micros} of it at UTC. */
  static long micros(Instant t) {
    return BinaryCopy.micros(t.atOffset(ZoneOffset.UTC));
  }

  // Fields read, by slot.
  private static final int GRANT_ID = 0;
  private static final int CLIENT_ID = 1;
  private static final int USER_ID = 2;
  private static final int JTI = 3;
  private static final int ACCESS_JTI = 4;
  private static final int REFRESH_HASH = 5;
  private static final int OLD_HASH = 6;
  private static final int NEW_HASH = 7;
  private static final int REASON = 8;
  private static final int SCOPES = 9;
  private static final int STRINGS = 10;
  private static final int ISSUED_AT = 0;
  private static final int EXPIRES_AT = 1;
  private static final int REDEEMED_AT = 2;
  private static final int ROTATED_AT = 3;
  private static final int REVOKED_AT = 4;
  private static final int ACCESS_EXPIRES_AT = 5;
  private static final int REFRESH_EXPIRES_AT = 6;
  private static final int TIMES = 7;

  /**
   * The op of an event read in its plain form, {@link #NONE} for a grant event that changes no
   * token state, or null when the codec has to decide (another form, a field missing, an unknown
   * type).
   */
  static Op fast(String type, byte[] payload) {
    if (type == null) {
      return null;
    }
    switch (type) {
      case AuthorizationCodeIssued.TYPE:
      case AuthorizationCodeRedeemed.TYPE:
      case RefreshTokenRotated.TYPE:
      case ClientCredentialsIssued.TYPE:
      case AccessTokenRevoked.TYPE:
      case GrantRevoked.TYPE:
        break;
      case AuthorizationCodeReplayed.TYPE:
      case RefreshTokenReuseDetected.TYPE:
        // No statements; decoded only to keep the codec's refusal of a malformed one.
        return null;
      default:
        return null;
    }
    String[] s = new String[STRINGS];
    long[] t = new long[TIMES];
    Arrays.fill(t, NULL);
    if (!read(payload, s, t)) {
      return null;
    }
    switch (type) {
      case AuthorizationCodeIssued.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, SCOPES) || t[ISSUED_AT] == NULL) {
          return null;
        }
        return new Op(
            CODE_ISSUED,
            s[GRANT_ID],
            s[CLIENT_ID],
            s[USER_ID],
            s[SCOPES],
            null,
            null,
            null,
            null,
            t[ISSUED_AT],
            NULL,
            NULL);
      case AuthorizationCodeRedeemed.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, ACCESS_JTI, SCOPES)
            || t[REDEEMED_AT] == NULL
            || t[ACCESS_EXPIRES_AT] == NULL
            || (s[REFRESH_HASH] == null) != (t[REFRESH_EXPIRES_AT] == NULL)) {
          return null;
        }
        return new Op(
            CODE_REDEEMED,
            s[GRANT_ID],
            s[CLIENT_ID],
            s[USER_ID],
            s[SCOPES],
            s[ACCESS_JTI],
            s[REFRESH_HASH],
            null,
            null,
            t[REDEEMED_AT],
            t[ACCESS_EXPIRES_AT],
            t[REFRESH_EXPIRES_AT] == NULL ? t[REDEEMED_AT] : t[REFRESH_EXPIRES_AT]);
      case RefreshTokenRotated.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, OLD_HASH, NEW_HASH, ACCESS_JTI, SCOPES)
            || t[ROTATED_AT] == NULL
            || t[ACCESS_EXPIRES_AT] == NULL
            || t[REFRESH_EXPIRES_AT] == NULL) {
          return null;
        }
        return new Op(
            REFRESH_ROTATED,
            s[GRANT_ID],
            s[CLIENT_ID],
            s[USER_ID],
            s[SCOPES],
            s[ACCESS_JTI],
            s[NEW_HASH],
            s[OLD_HASH],
            null,
            t[ROTATED_AT],
            t[ACCESS_EXPIRES_AT],
            t[REFRESH_EXPIRES_AT]);
      case ClientCredentialsIssued.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, JTI, SCOPES)
            || t[ISSUED_AT] == NULL
            || t[EXPIRES_AT] == NULL) {
          return null;
        }
        return new Op(
            CLIENT_CREDENTIALS,
            s[GRANT_ID],
            s[CLIENT_ID],
            null,
            s[SCOPES],
            s[JTI],
            null,
            null,
            null,
            t[ISSUED_AT],
            t[EXPIRES_AT],
            NULL);
      case AccessTokenRevoked.TYPE:
        if (!present(s, GRANT_ID, JTI) || t[REVOKED_AT] == NULL) {
          return null;
        }
        return new Op(
            ACCESS_REVOKED,
            s[GRANT_ID],
            null,
            null,
            null,
            s[JTI],
            null,
            null,
            null,
            t[REVOKED_AT],
            NULL,
            NULL);
      case GrantRevoked.TYPE:
        if (!present(s, GRANT_ID, REASON)
            || t[REVOKED_AT] == NULL
            || RevocationReason.fromWire(s[REASON]).isEmpty()) {
          return null;
        }
        return new Op(
            GRANT_REVOKED,
            s[GRANT_ID],
            null,
            null,
            null,
            null,
            null,
            null,
            s[REASON],
            t[REVOKED_AT],
            NULL,
            NULL);
      default:
        return null;
    }
  }

  private static boolean present(String[] s, int... slots) {
    for (int i : slots) {
      if (s[i] == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads the fields of {@code payload} the projection takes into {@code s} and {@code t} (a JSON
   * null leaves a field absent, as the codec reads it); false when one of them is not in the plain
   * form.
   */
  private static boolean read(byte[] payload, String[] s, long[] t) {
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
        if (k != JsonToken.FIELD_NAME) {
          return false;
        }
        String name = p.currentName();
        JsonToken v = p.nextToken();
        int slot = stringSlot(name);
        int time = slot < 0 ? timeSlot(name) : -1;
        if (slot < 0 && time < 0) {
          p.skipChildren();
          continue;
        }
        if (v == JsonToken.VALUE_NULL) {
          if (slot >= 0) {
            s[slot] = null;
          } else {
            t[time] = NULL;
          }
          continue;
        }
        if (slot == SCOPES) {
          String scope = scopes(p, v);
          if (scope == null) {
            return false;
          }
          s[SCOPES] = scope;
        } else if (v != JsonToken.VALUE_STRING) {
          return false;
        } else if (slot >= 0) {
          s[slot] = p.getText();
        } else {
          long micros = micros(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          if (micros == NULL) {
            return false;
          }
          t[time] = micros;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int stringSlot(String name) {
    switch (name) {
      case "grant_id":
        return GRANT_ID;
      case "client_id":
        return CLIENT_ID;
      case "user_id":
        return USER_ID;
      case "jti":
        return JTI;
      case "access_token_jti":
        return ACCESS_JTI;
      case "refresh_token_hash":
        return REFRESH_HASH;
      case "old_refresh_token_hash":
        return OLD_HASH;
      case "new_refresh_token_hash":
        return NEW_HASH;
      case "reason":
        return REASON;
      case "scopes":
        return SCOPES;
      default:
        return -1;
    }
  }

  private static int timeSlot(String name) {
    switch (name) {
      case "issued_at":
        return ISSUED_AT;
      case "expires_at":
        return EXPIRES_AT;
      case "redeemed_at":
        return REDEEMED_AT;
      case "rotated_at":
        return ROTATED_AT;
      case "revoked_at":
        return REVOKED_AT;
      case "access_token_expires_at":
        return ACCESS_EXPIRES_AT;
      case "refresh_token_expires_at":
        return REFRESH_EXPIRES_AT;
      default:
        return -1;
    }
  }

  /**
   * The scope value ({@link Scopes#value()}) of a scopes array whose tokens are valid and in
   * strictly increasing order (as the codec writes them), else null.
   */
  private static String scopes(JsonParser p, JsonToken v) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      return null;
    }
    StringBuilder sb = new StringBuilder(48);
    String prev = null;
    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
      if (e != JsonToken.VALUE_STRING) {
        return null;
      }
      String token = p.getText();
      if ((prev != null && prev.compareTo(token) >= 0) || !Scopes.isValidToken(token)) {
        return null;
      }
      if (prev != null) {
        sb.append(' ');
      }
      sb.append(token);
      prev = token;
    }
    return prev == null ? null : sb.toString();
  }

  /**
   * {@code uuuu-MM-ddTHH:mm:ss[.f{1,9}]Z} at or after 2000 (what {@link Instant#toString()} writes,
   * and what {@code Json.parseUtc} reads) as PostgreSQL microseconds, truncated as {@link
   * BinaryCopy#micros} truncates; {@link #NULL} for any other text.
   */
  static long micros(char[] c, int off, int n) {
    if (n < 20
        || n > 30
        || c[off + 4] != '-'
        || c[off + 7] != '-'
        || c[off + 10] != 'T'
        || c[off + 13] != ':'
        || c[off + 16] != ':'
        || c[off + n - 1] != 'Z') {
      return NULL;
    }
    int year = digits(c, off, 4);
    int month = digits(c, off + 5, 2);
    int day = digits(c, off + 8, 2);
    int hour = digits(c, off + 11, 2);
    int minute = digits(c, off + 14, 2);
    int second = digits(c, off + 17, 2);
    if (year < 2000
        || month < 1
        || month > 12
        || day < 1
        || day > lengthOfMonth(year, month)
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59) {
      return NULL;
    }
    int micros = 0;
    if (n > 20) {
      int fraction = n - 21;
      if (c[off + 19] != '.' || fraction < 1 || fraction > 9) {
        return NULL;
      }
      int f = digits(c, off + 20, fraction);
      if (f < 0) {
        return NULL;
      }
      for (int i = fraction; i < 9; i++) {
        f *= 10;
      }
      micros = f / 1000;
    } else if (c[off + 19] != 'Z') {
      return NULL;
    }
    long seconds = epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
    return (seconds - PG_EPOCH_SECONDS) * 1_000_000L + micros;
  }

  private static int digits(char[] c, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      char ch = c[i];
      if (ch < '0' || ch > '9') {
        return -1;
      }
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  private static boolean leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  }

  private static int lengthOfMonth(int y, int m) {
    switch (m) {
      case 2:
        return leap(y) ? 29 : 28;
      case 4:
      case 6:
      case 9:
      case 11:
        return 30;
      default:
        return 31;
    }
  }

  /** Days from 1970-01-01 (the proleptic Gregorian calendar, years 2000 and later). */
  private static long epochDay(int y, int m, int d) {
    // Days before the year, then before the month, then the day (java.time.LocalDate#toEpochDay's
    // method).
    long total = 365L * y;
    total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    total += (367 * m - 362) / 12;
    total += d - 1;
    if (m > 2) {
      total--;
      if (!leap(y)) {
        total--;
      }
    }
    return total - 719_528L;
  }
}
