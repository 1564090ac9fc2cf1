package io.grantry.rebuild;

import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.projections.TableNames;
import io.grantry.server.tokenstate.TokenChange;
import io.grantry.server.tokenstate.TokenChange.Kind;
import io.grantry.server.tokenstate.TokenStateProjection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The token-state tables folded in memory during a rebuild's first pass, then written with COPY.
 * Each page's grant events are read into {@link TokenChange}s (straight from the JSON bytes, on
 * every core: {@link TokenChangeReader}) and each kind of statement of {@code TokenStateProjection}
 * is carried out here, in the statements' order, with the statements' own conditions: an insert
 * does nothing when the key exists, an update changes only rows its WHERE clause matches. So the
 * rows equal those the statements give page for page: {@code TokenStateFoldTest} folds random
 * histories both ways and compares them row for row, {@code ProjectionRebuildTest} a server's
 * ledger under traffic.
 *
 * <p>Why a second form of the rules, rather than one fold the live projection shares: the live
 * projection's state is the tables, changed in the append's own transaction by statements that need
 * no read first (one pipelined round trip for a batch of new grants, conditions that keep
 * redelivery and other instances harmless). A fold needs the rows it folds into in memory; for the
 * live path that would mean reading them back in every append (a round trip more on each refresh,
 * and every token of a grant on its revocation), a cost the serving figures would pay. The fold
 * pays off only where the whole state is built at once, from position zero, which is a rebuild. So
 * each form lives where it is fast, both are made from the same {@link TokenChange}, and the tests
 * hold them equal.
 *
 * <p>Memory: the rows are columns of primitive arrays indexed by the number a {@link KeyIndex}
 * gives each grant id, jti and refresh hash (client ids, subjects, scopes and reasons numbered in a
 * small dictionary; times as microseconds): about 70 bytes a grant and 80 a token plus their keys
 * (and 33 bytes for a JWT's recorded hash), a few arrays the garbage collector does not walk. (As
 * objects in hash maps the fold of 5 million events held ~25 million objects and most of its CPU
 * went to the collector.) That still grows with the ledger (1.5 GB for 5 million events), so a fold
 * can be one part of several ({@link #TokenStateFold(int, int)}: the rows whose keys hash to its
 * part), each part folded from a read of the ledger of its own and written before the next ({@link
 * BulkFirstPass#parts}).
 *
 * <p>Why one long file: the fold carries out {@link TokenStateProjection}'s statements one kind
 * after another in their order, over one set of column arrays; split up, each part would need all
 * of those arrays and the order would be read across files.
 */
final class TokenStateFold implements Fold<List<TokenChange>> {
  private static final long NULL = BinaryCopy.NULL_TIME;

  static {
    if (TokenChange.NO_TIME != BinaryCopy.NULL_TIME) {
      throw new AssertionError("a change's missing time is a NULL timestamptz");
    }
  }

  private static final int NONE = -1;

  /** The arrays' first capacity (they double as they fill). */
  private static final int CAP = 1 << 16;

  /** This fold's part of the keys ({@link #mine}), and how many parts there are. */
  private final int part;

  private final int parts;

  /**
   * The fold of part {@code part} of {@code parts}: the grants rows whose grant id, the
   * access_tokens rows whose jti and the refresh_tokens rows whose hash fall in that part ({@link
   * #mine}); run over the same pages once per part, the parts' rows together are the rows of one
   * fold of everything. Why that holds for any history, not only the domain's: every statement
   * changes rows of one table by that table's own key, except a grant's revocation, which revokes
   * the tokens linked to the grant (the grant of each token's first insert); so a row's value
   * depends only on the changes naming its key, plus, for a token, its grant's revocations, and
   * this fold sees all of those: the changes naming its keys, each in its order, and every
   * revocation (matched against the grants its own tokens link to; a grant's row here is never made
   * for a grant of another part, which at most appears as a link target with no row).
   */
  TokenStateFold(int part, int parts) {
    if (parts < 1 || part < 0 || part >= parts) {
      throw new IllegalArgumentException("part " + part + " of " + parts);
    }
    this.part = part;
    this.parts = parts;
  }

  /** Whether the row of {@code key} (a grant id, a jti or a refresh hash) is this part's. */
  private boolean mine(String key) {
    if (parts == 1 || key == null) {
      // A null key goes where one fold of everything takes it (and fails the same way).
      return parts == 1 || part == 0;
    }
    // Mixed otherwise than KeyIndex mixes it for its table, so a part's keys do not crowd there.
    int h = key.hashCode();
    h = (h ^ (h >>> 16)) * 0x85EBCA6B;
    return Integer.remainderUnsigned(h ^ (h >>> 13), parts) == part;
  }

  // grants.status, and whether the row exists (0: a grant id only its tokens name).
  private static final byte ABSENT = 0;
  private static final byte CODE_ISSUED = 1;
  private static final byte ACTIVE = 2;
  private static final byte REVOKED = 3;
  private static final byte ROTATED = 4;
  private static final byte AUTHORIZATION_PENDING = 5;
  private static final byte APPROVED = 6;
  private static final byte DENIED = 7;
  private static final String[] STATUS = {
    null,
    "code_issued",
    "active",
    "revoked",
    "rotated",
    "authorization_pending",
    "approved",
    "denied"
  };

  /** Client ids, subjects, scopes, reasons: few distinct values, each numbered once. */
  private final Map<String, Integer> dict = new HashMap<>();

  private final List<byte[]> dictBytes = new ArrayList<>();

  private final KeyIndex grantIds = new KeyIndex(CAP);
  private byte[] gStatus = new byte[CAP];

  /** {@link #KINDS} index of each grant's kind. */
  private byte[] gKind = new byte[CAP];

  private static final byte AUTHORIZATION_CODE = 0;
  private static final byte CLIENT_CREDENTIALS = 1;
  private static final byte TOKEN_EXCHANGE = 2;
  private static final byte DEVICE_CODE = 3;
  private static final String[] KINDS = {
    "authorization_code",
    "client_credentials",
    TokenStateProjection.KIND_EXCHANGE,
    TokenStateProjection.KIND_DEVICE
  };

  /**
   * What grants made by a token exchange add to their row (subject_grant_id, grant_chain, audience,
   * act), by grant number: few next to the others, so kept apart.
   */
  private final Map<Integer, String[]> gExchange = new HashMap<>();

  private int[] gClient = new int[CAP];
  private int[] gUser = new int[CAP];
  private int[] gScope = new int[CAP];
  private int[] gReason = new int[CAP];
  private long[] gCreated = new long[CAP];
  private long[] gUpdated = new long[CAP];
  private long[] gRevoked = new long[CAP];

  /**
   * The grant's newest access and refresh token (each token links to the one before: {@link
   * #aNext}, {@link #rNext}).
   */
  private int[] gAccess = new int[CAP];

  private int[] gRefresh = new int[CAP];

  private final KeyIndex jtis = new KeyIndex(CAP);
  private int[] aGrant = new int[CAP];
  private int[] aClient = new int[CAP];
  private int[] aSubject = new int[CAP];
  private int[] aScope = new int[CAP];
  private long[] aIssued = new long[CAP];
  private long[] aExpires = new long[CAP];
  private long[] aRevoked = new long[CAP];
  private int[] aNext = new int[CAP];

  /**
   * {@code access_tokens.token_hash}: each JWT's recorded SHA-256 as its 32 bytes, token {@code
   * a}'s at {@code a * 32} (a String per token would be an object the collector walks, ~90 bytes);
   * {@link #aHashed} false for none. Written back as the base64url text it came from: the codec and
   * the reader take only the canonical form ({@code GrantTokens.isHash}), so decoding and encoding
   * again give the same text.
   */
  private byte[] aHash = new byte[CAP * HASH_BYTES];

  private boolean[] aHashed = new boolean[CAP];

  private static final int HASH_BYTES = 32;
  private static final Base64.Decoder HASH_DECODER = Base64.getUrlDecoder();
  private static final Base64.Encoder HASH_ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final KeyIndex hashes = new KeyIndex(CAP);
  private int[] rGrant = new int[CAP];
  private int[] rClient = new int[CAP];
  private int[] rSubject = new int[CAP];
  private int[] rScope = new int[CAP];
  private long[] rIssued = new long[CAP];
  private long[] rExpires = new long[CAP];
  private byte[] rStatus = new byte[CAP];
  private int[] rNext = new int[CAP];

  /** The number of a dictionary value (NONE for null). */
  private int word(String s) {
    if (s == null) {
      return NONE;
    }
    Integer n = dict.get(s);
    if (n == null) {
      n = dictBytes.size();
      dict.put(s, n);
      dictBytes.add(s.getBytes(StandardCharsets.UTF_8));
    }
    return n;
  }

  /** The number of a grant id, with an absent row when it is new. */
  private int grant(String id) {
    int before = grantIds.size();
    int g = grantIds.add(id);
    if (g != before) {
      return g;
    }
    if (g == gStatus.length) {
      int cap = g * 2;
      gStatus = Arrays.copyOf(gStatus, cap);
      gKind = Arrays.copyOf(gKind, cap);
      gClient = Arrays.copyOf(gClient, cap);
      gUser = Arrays.copyOf(gUser, cap);
      gScope = Arrays.copyOf(gScope, cap);
      gReason = Arrays.copyOf(gReason, cap);
      gCreated = Arrays.copyOf(gCreated, cap);
      gUpdated = Arrays.copyOf(gUpdated, cap);
      gRevoked = Arrays.copyOf(gRevoked, cap);
      gAccess = Arrays.copyOf(gAccess, cap);
      gRefresh = Arrays.copyOf(gRefresh, cap);
    }
    // New: no row yet, no tokens (heads are kept as a token's number + 1, so 0 is none).
    gRevoked[g] = NULL;
    gReason[g] = NONE;
    return g;
  }

  private void growAccess(int a) {
    if (a == aGrant.length) {
      int cap = a * 2;
      aGrant = Arrays.copyOf(aGrant, cap);
      aClient = Arrays.copyOf(aClient, cap);
      aSubject = Arrays.copyOf(aSubject, cap);
      aScope = Arrays.copyOf(aScope, cap);
      aIssued = Arrays.copyOf(aIssued, cap);
      aExpires = Arrays.copyOf(aExpires, cap);
      aRevoked = Arrays.copyOf(aRevoked, cap);
      aNext = Arrays.copyOf(aNext, cap);
      aHash = Arrays.copyOf(aHash, cap * HASH_BYTES);
      aHashed = Arrays.copyOf(aHashed, cap);
    }
  }

  private void growRefresh(int r) {
    if (r == rGrant.length) {
      int cap = r * 2;
      rGrant = Arrays.copyOf(rGrant, cap);
      rClient = Arrays.copyOf(rClient, cap);
      rSubject = Arrays.copyOf(rSubject, cap);
      rScope = Arrays.copyOf(rScope, cap);
      rIssued = Arrays.copyOf(rIssued, cap);
      rExpires = Arrays.copyOf(rExpires, cap);
      rStatus = Arrays.copyOf(rStatus, cap);
      rNext = Arrays.copyOf(rNext, cap);
    }
  }

  @Override
  public List<TokenChange> prepare(List<LedgerCopy.Raw> page) {
    return TokenChangeReader.read(page);
  }

  /**
   * Folds a page: each kind of statement in the order of {@code TokenStateProjection.Statement},
   * over the page's events in commit order, as {@code TokenStateProjection#apply} runs them. The
   * statements keep only the first row per key within a kind; here every row is applied, which
   * gives the same result: a later row of the same key finds what the first left (an insert finds
   * the key, an update finds its condition no longer true, a grant's revocation finds its tokens
   * already revoked).
   */
  @Override
  public void apply(List<TokenChange> page) {
    int n = page.size();
    for (int i = 0; i < n; i++) { // GRANT_INSERT
      TokenChange o = page.get(i);
      Kind k = o.kind();
      if ((k == Kind.CODE_ISSUED || k == Kind.CLIENT_CREDENTIALS || k == Kind.DEVICE_REQUESTED)
          && mine(o.grantId())) {
        int g = grant(o.grantId());
        if (gStatus[g] == ABSENT) {
          gStatus[g] =
              switch (k) {
                case CODE_ISSUED -> CODE_ISSUED;
                case DEVICE_REQUESTED -> AUTHORIZATION_PENDING;
                default -> ACTIVE;
              };
          gKind[g] =
              switch (k) {
                case CODE_ISSUED -> AUTHORIZATION_CODE;
                case DEVICE_REQUESTED -> DEVICE_CODE;
                default -> CLIENT_CREDENTIALS;
              };
          gClient[g] = word(o.clientId());
          gUser[g] = word(o.userId());
          gScope[g] = word(o.scope());
          gCreated[g] = o.at();
          gUpdated[g] = o.at();
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_EXCHANGED
      TokenChange o = page.get(i);
      if (o.kind() == Kind.TOKEN_EXCHANGED && mine(o.grantId())) {
        int g = grant(o.grantId());
        if (gStatus[g] == ABSENT) {
          TokenExchanged x = o.exchange();
          gStatus[g] = ACTIVE;
          gKind[g] = TOKEN_EXCHANGE;
          gClient[g] = word(o.clientId());
          gUser[g] = word(o.userId());
          gScope[g] = word(o.scope());
          gCreated[g] = o.at();
          gUpdated[g] = o.at();
          gExchange.put(
              g,
              new String[] {
                x.subjectGrantId(),
                String.join(" ", x.grantChain()),
                x.audiences().isEmpty() ? null : String.join(" ", x.audiences()),
                x.actor().map(a -> GrantEventCodec.actor(a).encode()).orElse(null)
              });
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_ANSWERED
      TokenChange o = page.get(i);
      if ((o.kind() == Kind.DEVICE_APPROVED || o.kind() == Kind.DEVICE_DENIED)
          && mine(o.grantId())) {
        int g = grantIds.find(o.grantId());
        if (g >= 0 && gStatus[g] == AUTHORIZATION_PENDING) {
          gStatus[g] = o.kind() == Kind.DEVICE_APPROVED ? APPROVED : DENIED;
          gUser[g] = word(o.userId());
          gUpdated[g] = o.at();
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_ACTIVE
      TokenChange o = page.get(i);
      if (o.kind() == Kind.CODE_REDEEMED && mine(o.grantId())) {
        int g = grantIds.find(o.grantId());
        if (g >= 0 && (gStatus[g] == CODE_ISSUED || gStatus[g] == APPROVED)) {
          gStatus[g] = ACTIVE;
          gScope[g] = word(o.scope());
          gUpdated[g] = o.at();
        }
      }
    }
    for (int i = 0; i < n; i++) { // ACCESS_INSERT
      TokenChange o = page.get(i);
      Kind k = o.kind();
      if ((k == Kind.CODE_REDEEMED
              || k == Kind.REFRESH_ROTATED
              || k == Kind.CLIENT_CREDENTIALS
              || (k == Kind.TOKEN_EXCHANGED && o.jti() != null))
          && mine(o.jti())) {
        int before = jtis.size();
        int a = jtis.add(o.jti());
        if (a == before) {
          growAccess(a);
          int g = grant(o.grantId());
          aGrant[a] = g;
          aClient[a] = word(o.clientId());
          aSubject[a] = word(o.subject());
          aScope[a] = word(o.scope());
          aIssued[a] = o.at();
          aExpires[a] = o.accessExpires();
          aRevoked[a] = NULL;
          aHashed[a] = o.tokenHash() != null;
          if (aHashed[a]) {
            System.arraycopy(
                HASH_DECODER.decode(o.tokenHash()), 0, aHash, a * HASH_BYTES, HASH_BYTES);
          }
          aNext[a] = gAccess[g];
          gAccess[g] = a + 1;
        }
      }
    }
    for (int i = 0; i < n; i++) { // REFRESH_INSERT
      TokenChange o = page.get(i);
      Kind k = o.kind();
      if ((k == Kind.REFRESH_ROTATED
              || ((k == Kind.CODE_REDEEMED || k == Kind.TOKEN_EXCHANGED) && o.hash() != null))
          && mine(o.hash())) {
        int before = hashes.size();
        int r = hashes.add(o.hash());
        if (r == before) {
          growRefresh(r);
          int g = grant(o.grantId());
          rGrant[r] = g;
          rClient[r] = word(o.clientId());
          rSubject[r] = word(o.userId());
          rScope[r] = word(o.scope());
          rIssued[r] = o.at();
          rExpires[r] = o.refreshExpires();
          rStatus[r] = ACTIVE;
          rNext[r] = gRefresh[g];
          gRefresh[g] = r + 1;
        }
      }
    }
    for (int i = 0; i < n; i++) { // REFRESH_ROTATED
      TokenChange o = page.get(i);
      if (o.kind() == Kind.REFRESH_ROTATED && mine(o.oldHash())) {
        int r = hashes.find(o.oldHash());
        if (r >= 0 && rStatus[r] == ACTIVE) {
          rStatus[r] = ROTATED;
        }
      }
    }
    boolean revocations = false;
    for (int i = 0; i < n; i++) { // ACCESS_REVOKE
      TokenChange o = page.get(i);
      if (o.kind() == Kind.ACCESS_REVOKED) {
        int a = mine(o.jti()) ? jtis.find(o.jti()) : -1;
        if (a >= 0 && aRevoked[a] == NULL) {
          aRevoked[a] = o.at();
        }
      } else if (o.kind() == Kind.GRANT_REVOKED) {
        revocations = true;
      }
    }
    if (!revocations) {
      return;
    }
    for (int i = 0; i < n; i++) { // GRANT_REVOKE
      TokenChange o = page.get(i);
      if (o.kind() == Kind.GRANT_REVOKED && mine(o.grantId())) {
        int g = grantIds.find(o.grantId());
        if (g >= 0 && gStatus[g] != ABSENT && gStatus[g] != REVOKED) {
          gStatus[g] = REVOKED;
          gRevoked[g] = o.at();
          gReason[g] = word(o.reason());
          gUpdated[g] = o.at();
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_REVOKE_ACCESS
      TokenChange o = page.get(i);
      if (o.kind() == Kind.GRANT_REVOKED) {
        int g = grantIds.find(o.grantId());
        for (int a = g < 0 ? -1 : gAccess[g] - 1; a >= 0; a = aNext[a] - 1) {
          if (aRevoked[a] == NULL) {
            aRevoked[a] = o.at();
          }
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_REVOKE_REFRESH
      TokenChange o = page.get(i);
      if (o.kind() == Kind.GRANT_REVOKED) {
        int g = grantIds.find(o.grantId());
        for (int r = g < 0 ? -1 : gRefresh[g] - 1; r >= 0; r = rNext[r] - 1) {
          rStatus[r] = REVOKED;
        }
      }
    }
  }

  /** Token {@code a}'s recorded hash as the event's text, null if none. */
  private String tokenHash(int a) {
    return aHashed[a]
        ? HASH_ENCODER.encodeToString(
            Arrays.copyOfRange(aHash, a * HASH_BYTES, (a + 1) * HASH_BYTES))
        : null;
  }

  private BinaryCopy key(BinaryCopy copy, KeyIndex keys, int n) throws IOException {
    return copy.text(keys.bytes(n), keys.offset(n), keys.length(n));
  }

  private BinaryCopy word(BinaryCopy copy, int w) throws IOException {
    if (w == NONE) {
      return copy.text(null);
    }
    byte[] b = dictBytes.get(w);
    return copy.text(b, 0, b.length);
  }

  /** The three tables, each written on its own (by the runner, at the same time). */
  @Override
  public Map<String, Fold.Write> writes(TableNames tables) {
    Map<String, Fold.Write> out = new LinkedHashMap<>();
    out.put(
        "grants",
        (c, frozen) -> {
          try (BinaryCopy copy =
              BinaryCopy.of(
                  c,
                  tables.of("grants"),
                  "grant_id, kind, client_id, user_id, scope, status,"
                      + " created_at, updated_at, revoked_at, revoked_reason,"
                      + " subject_grant_id, grant_chain, audience, act",
                  frozen)) {
            String[] none = new String[4];
            for (int g = 0; g < grantIds.size(); g++) {
              if (gStatus[g] != ABSENT) {
                key(copy.row(14), grantIds, g).text(KINDS[gKind[g]]);
                word(word(word(copy, gClient[g]), gUser[g]), gScope[g])
                    .text(STATUS[gStatus[g]])
                    .timestamptz(gCreated[g])
                    .timestamptz(gUpdated[g])
                    .timestamptz(gRevoked[g]);
                word(copy, gReason[g]);
                String[] x = gKind[g] == TOKEN_EXCHANGE ? gExchange.get(g) : none;
                copy.text(x[0]).text(x[1]).text(x[2]).text(x[3]);
              }
            }
          }
        });
    out.put(
        "access_tokens",
        (c, frozen) -> {
          try (BinaryCopy copy =
              BinaryCopy.of(
                  c,
                  tables.of("access_tokens"),
                  "jti, grant_id, client_id, subject, scope,"
                      + " issued_at, expires_at, revoked_at, token_hash",
                  frozen)) {
            for (int a = 0; a < jtis.size(); a++) {
              key(key(copy.row(9), jtis, a), grantIds, aGrant[a]);
              word(word(word(copy, aClient[a]), aSubject[a]), aScope[a])
                  .timestamptz(aIssued[a])
                  .timestamptz(aExpires[a])
                  .timestamptz(aRevoked[a])
                  .text(tokenHash(a));
            }
          }
        });
    out.put(
        "refresh_tokens",
        (c, frozen) -> {
          try (BinaryCopy copy =
              BinaryCopy.of(
                  c,
                  tables.of("refresh_tokens"),
                  "hash, grant_id, client_id, subject, scope," + " issued_at, expires_at, status",
                  frozen)) {
            for (int r = 0; r < hashes.size(); r++) {
              key(key(copy.row(8), hashes, r), grantIds, rGrant[r]);
              word(word(word(copy, rClient[r]), rSubject[r]), rScope[r])
                  .timestamptz(rIssued[r])
                  .timestamptz(rExpires[r])
                  .text(STATUS[rStatus[r]]);
            }
          }
        });
    return out;
  }
}
