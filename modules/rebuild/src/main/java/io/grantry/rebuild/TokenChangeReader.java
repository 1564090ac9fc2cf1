package io.grantry.rebuild;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.server.tokenstate.TokenChange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@link TokenChange}s of a rebuild's page read straight from the payloads' JSON bytes with
 * Jackson's streaming parser: no {@code JsonObject} and no domain event per event. Replaying
 * millions of events spent most of its CPU building those only to take a few strings and times out
 * of them again.
 *
 * <p>It reads what {@link TokenChange#of} takes from the decoded event, and a test holds it to
 * that. It only takes the plain forms the codec writes (string fields, scopes an array of valid
 * scope tokens in sorted order, times as {@link java.time.Instant#toString} writes them after 2000:
 * {@link InstantText}); an event with anything else in the fields token state reads is decoded by
 * {@link GrantEventCodec} (which accepts what it accepts and refuses the rest, failing the rebuild
 * as the statements would). Fields token state does not read are not checked here: the codec
 * checked them when the event was appended and the hash chain ({@code audit verify}) keeps them as
 * they were.
 */
final class TokenChangeReader {
  private TokenChangeReader() {}

  private static final long NONE = TokenChange.NO_TIME;

  private static final JsonFactory JSON = new JsonFactory();

  /** The changes of a page of events as read, in commit order (grant streams only). */
  static List<TokenChange> read(List<LedgerCopy.Raw> page) {
    List<TokenChange> out = new ArrayList<>(page.size());
    for (LedgerCopy.Raw r : page) {
      if (!r.streamId().startsWith(GrantTokens.STREAM_PREFIX)) {
        continue;
      }
      TokenChange c = fast(r.type(), r.payload());
      if (c == null) {
        // Not in the plain form, or an event that changes no token state: the codec decides, as for
        // the statements.
        RecordedEvent e = r.decode();
        c = TokenChange.of(GrantEventCodec.INSTANCE.fromJson(e.type(), e.payload()));
      }
      if (c != null) {
        // Hashed here, on every core: a String keeps its hash, and the fold, on one thread, looks
        // them up.
        c.grantId().hashCode();
        if (c.jti() != null) {
          c.jti().hashCode();
        }
        if (c.hash() != null) {
          c.hash().hashCode();
        }
        if (c.oldHash() != null) {
          c.oldHash().hashCode();
        }
        out.add(c);
      }
    }
    return out;
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
  private static final int TOKEN_HASH = 10;
  private static final int STRINGS = 11;
  private static final int ISSUED_AT = 0;
  private static final int EXPIRES_AT = 1;
  private static final int REDEEMED_AT = 2;
  private static final int ROTATED_AT = 3;
  private static final int REVOKED_AT = 4;
  private static final int ACCESS_EXPIRES_AT = 5;
  private static final int REFRESH_EXPIRES_AT = 6;
  private static final int TIMES = 7;

  /**
   * The change of an event read in its plain form, or null when the codec has to decide (another
   * form, a field missing, an unknown type, an event that changes no token state).
   */
  static TokenChange fast(String type, byte[] payload) {
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
      default:
        // Among them the replayed code and the detected reuse: no change, but decoded to keep the
        // codec's refusal of a malformed one.
        return null;
    }
    String[] s = new String[STRINGS];
    long[] t = new long[TIMES];
    Arrays.fill(t, NONE);
    if (!read(payload, s, t)) {
      return null;
    }
    if (s[TOKEN_HASH] != null && !GrantTokens.isHash(s[TOKEN_HASH])) {
      return null; // the codec refuses it
    }
    switch (type) {
      case AuthorizationCodeIssued.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, SCOPES) || t[ISSUED_AT] == NONE) {
          return null;
        }
        return TokenChange.codeIssued(
            s[GRANT_ID], s[CLIENT_ID], s[USER_ID], s[SCOPES], t[ISSUED_AT]);
      case AuthorizationCodeRedeemed.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, ACCESS_JTI, SCOPES)
            || t[REDEEMED_AT] == NONE
            || t[ACCESS_EXPIRES_AT] == NONE
            || (s[REFRESH_HASH] == null) != (t[REFRESH_EXPIRES_AT] == NONE)) {
          return null;
        }
        return TokenChange.codeRedeemed(
            s[GRANT_ID],
            s[CLIENT_ID],
            s[USER_ID],
            s[SCOPES],
            s[ACCESS_JTI],
            s[REFRESH_HASH],
            t[REDEEMED_AT],
            t[ACCESS_EXPIRES_AT],
            t[REFRESH_EXPIRES_AT],
            s[TOKEN_HASH]);
      case RefreshTokenRotated.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, USER_ID, OLD_HASH, NEW_HASH, ACCESS_JTI, SCOPES)
            || t[ROTATED_AT] == NONE
            || t[ACCESS_EXPIRES_AT] == NONE
            || t[REFRESH_EXPIRES_AT] == NONE) {
          return null;
        }
        return TokenChange.refreshRotated(
            s[GRANT_ID],
            s[CLIENT_ID],
            s[USER_ID],
            s[SCOPES],
            s[ACCESS_JTI],
            s[NEW_HASH],
            s[OLD_HASH],
            t[ROTATED_AT],
            t[ACCESS_EXPIRES_AT],
            t[REFRESH_EXPIRES_AT],
            s[TOKEN_HASH]);
      case ClientCredentialsIssued.TYPE:
        if (!present(s, GRANT_ID, CLIENT_ID, JTI, SCOPES)
            || t[ISSUED_AT] == NONE
            || t[EXPIRES_AT] == NONE) {
          return null;
        }
        return TokenChange.clientCredentials(
            s[GRANT_ID],
            s[CLIENT_ID],
            s[SCOPES],
            s[JTI],
            t[ISSUED_AT],
            t[EXPIRES_AT],
            s[TOKEN_HASH]);
      case AccessTokenRevoked.TYPE:
        if (!present(s, GRANT_ID, JTI) || t[REVOKED_AT] == NONE) {
          return null;
        }
        return TokenChange.accessRevoked(s[GRANT_ID], s[JTI], t[REVOKED_AT]);
      case GrantRevoked.TYPE:
        if (!present(s, GRANT_ID, REASON)
            || t[REVOKED_AT] == NONE
            || RevocationReason.fromWire(s[REASON]).isEmpty()) {
          return null;
        }
        return TokenChange.grantRevoked(s[GRANT_ID], s[REASON], t[REVOKED_AT]);
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
   * Reads the fields of {@code payload} token state takes into {@code s} and {@code t} (a JSON null
   * leaves a field absent, as the codec reads it); false when one of them is not in the plain form.
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
            t[time] = NONE;
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
          long micros =
              InstantText.micros(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          if (micros == NONE) {
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
      case GrantEventCodec.ACCESS_TOKEN_HASH:
        return TOKEN_HASH;
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
}
