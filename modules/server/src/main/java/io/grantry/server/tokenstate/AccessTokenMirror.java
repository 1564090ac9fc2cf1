package io.grantry.server.tokenstate;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live access tokens of the token-state projection, in memory, so that introspection of a token
 * nobody asked about before reads no row (issue 19: a never-seen token cost one statement, a
 * repeated one none).
 *
 * <p><b>The promise.</b> A change made through another instance may go unseen here for at most
 * {@code GRANTRY_INTROSPECTION_CACHE_MS} (500 ms), the bound cached introspection answers already
 * had; a change made through this process is seen at once. The mirror answers only while it is
 * provably fresh: {@link AccessTokenMirrorFeed} stamps {@link #caughtUp} with the time its last
 * complete catch-up read <i>started</i>, after which everything committed before that time has been
 * applied here; {@link #find} answers from memory only while now minus that time is within the
 * bound, and otherwise returns null so the caller reads the database as before. Until the start-up
 * load is done, when the setting is 0, and for a token it does not hold, it returns null too.
 *
 * <p><b>When there are more live tokens than its bound</b> it holds those that expire last (with
 * one lifetime, the newest: real traffic introspects mostly recent tokens): the start-up load reads
 * the live tokens latest-expiring first up to the bound, and a full mirror takes a new token by
 * dropping one of those that expire first ({@link #byExpiry}: tokens by the second they expire in;
 * an insert is O(log seconds), a lookup takes no lock). What it does not hold the database answers,
 * so no answer depends on what is held.
 *
 * <p><b>What it holds.</b> Per token (keyed by its whole {@code jti}, never a digest prefix): what
 * an introspection answer says (client, subject, scope, issue and expiry time, the exchange's
 * audience and actor) and whether it was revoked. A grant's revocation is kept by grant id ({@link
 * #revokeGrant}) and asked at every lookup for the token's grant and the grants it was exchanged
 * from, as {@link TokenState}'s {@code GRANT_REVOKED} asks the projection; the feed folds it into
 * the tokens later. Expired tokens are swept out.
 *
 * <p><b>Why changes may arrive in any order and twice.</b> The feed re-reads transactions it cannot
 * yet prove it has seen whole, this process's commit listener applies revocations at once, and the
 * start-up load reads an older snapshot while both run. So every change is idempotent and
 * commutative: an issuance never replaces a token already known, a revocation only ever sets a
 * flag, and a revocation of a token not (yet) here is remembered ({@link #revokedJtis}) and applied
 * when the issuance arrives. Those remembered revocations are forgotten once the feed has applied
 * every transaction up to theirs (so no issuance they could cover is still to come) and a minute
 * has passed.
 */
public final class AccessTokenMirror {
  private static final Logger log = LoggerFactory.getLogger(AccessTokenMirror.class);

  /**
   * How long a revocation record outlives the feed passing its transaction: covers a commit whose
   * own listener runs after the feed has read it (microseconds in practice).
   */
  static final long FORGET_AFTER_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** Client ids and scopes are few: shared strings, at most this many. */
  private static final int MAX_INTERNED = 10_000;

  private final long freshNanos;
  private final int max;
  private final Clock clock;
  private final ConcurrentHashMap<String, Entry> tokens = new ConcurrentHashMap<>();

  /**
   * The jtis of {@link #tokens} by the second (of PostgreSQL's microseconds) they expire in; also
   * the lock under which {@link #tokens} changes (inserts, evictions, sweeps: the feed's thread, so
   * uncontended). Every held jti is in exactly one bucket.
   */
  private final TreeMap<Long, ArrayDeque<String>> byExpiry = new TreeMap<>();

  private static final long BUCKET_MICROS = 1_000_000;
  private final ConcurrentHashMap<String, Revocation> revokedGrants = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Revocation> revokedJtis = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> interned = new ConcurrentHashMap<>();
  private final Counter fromMemory;
  private final Counter fromDatabase;
  private final Counter evicted;

  /** {@link System#nanoTime}, or a test's clock (advanced instead of waiting for time to pass). */
  private volatile LongSupplier nanos = System::nanoTime;

  private volatile boolean loaded;
  private volatile boolean broken;

  /** {@link #nanoTime} at the start of the last complete catch-up read. */
  private volatile long freshAt;

  /** Who waits for a catch-up that started after a given {@link System#nanoTime} (tests). */
  private record CatchUpWaiter(long after, CompletableFuture<Void> done) {}

  private final ConcurrentLinkedQueue<CatchUpWaiter> catchUpWaiters = new ConcurrentLinkedQueue<>();

  /** When a revocation was applied, and by which transaction. */
  private record Revocation(long txid, long appliedAt) {}

  /** What a token made by a token exchange (RFC 8693) adds: rare, so kept apart. */
  private record Exchange(List<String> audience, Optional<String> act, List<String> chain) {}

  /**
   * @param fresh GRANTRY_INTROSPECTION_CACHE_MS: how long after its last complete catch-up the
   *     mirror may answer (0: never)
   * @param max GRANTRY_INTROSPECTION_MIRROR_MAX: most tokens held (0: none)
   */
  public AccessTokenMirror(Duration fresh, int max, Clock clock, MeterRegistry registry) {
    this.freshNanos = fresh.toNanos();
    this.max = max;
    this.clock = clock;
    Gauge.builder("grantry.introspection.mirror.tokens", tokens, Map::size)
        .description("Access tokens held by the introspection mirror")
        .register(registry);
    Gauge.builder(
            "grantry.introspection.mirror.age",
            this,
            m -> m.loaded ? (m.nanoTime() - m.freshAt) / 1e9 : Double.NaN)
        .description("Seconds since the start of the mirror's last complete catch-up read")
        .baseUnit("seconds")
        .register(registry);
    this.fromMemory =
        Counter.builder("grantry.introspection.mirror.answers")
            .description("Access-token introspections answered from the mirror")
            .register(registry);
    this.fromDatabase =
        Counter.builder("grantry.introspection.mirror.misses")
            .description(
                "Access-token introspections read from the database (mirror stale, off or"
                    + " without the token)")
            .register(registry);
    this.evicted =
        Counter.builder("grantry.introspection.mirror.evictions")
            .description(
                "Live access tokens the full introspection mirror dropped for later-expiring ones")
            .register(registry);
  }

  /** The mirror's monotonic clock in nanoseconds ({@link System#nanoTime} but in tests). */
  long nanoTime() {
    return nanos.getAsLong();
  }

  /**
   * Tests: time as {@code clock} tells it (it must never go back), so a test moves the freshness
   * bound's time on instead of waiting for it to pass.
   */
  void useNanoClock(LongSupplier clock) {
    this.nanos = clock;
  }

  /** Whether the mirror is on at all (else the feed is not started). */
  public boolean enabled() {
    return freshNanos > 0 && max > 0;
  }

  /**
   * The token {@code jti} as the token-state projection has it, or null when the mirror cannot
   * answer (not loaded, not fresh, off, or without the token): then read the database.
   */
  public AccessTokenFacts find(String jti) {
    Entry e = answering() ? held(jti) : null;
    if (e == null) {
      fromDatabase.increment();
      return null;
    }
    fromMemory.increment();
    return e;
  }

  /**
   * The token as held, fresh or not (null: not held); a revocation of its grants seen since it came
   * in is folded in first.
   */
  Entry held(String jti) {
    Entry e = tokens.get(jti);
    if (e != null && !e.revoked && !revokedGrants.isEmpty() && revokedByGrant(jti, e)) {
      e.revoked = true;
    }
    return e;
  }

  /** Loaded, fresh within the bound, and never handed an event it could not read. */
  boolean answering() {
    return loaded && !broken && nanoTime() - freshAt <= freshNanos;
  }

  /** The bound: most tokens held. */
  int max() {
    return max;
  }

  /** Revocations remembered (tests: they must not grow without bound). */
  int revocationsHeld() {
    return revokedGrants.size() + revokedJtis.size();
  }

  /** The second (as {@link #byExpiry} counts) a token expiring at {@code micros} expires in. */
  static long expirySecond(long micros) {
    return Math.floorDiv(micros, BUCKET_MICROS);
  }

  /** The earliest expiry second among the tokens held (Long.MAX_VALUE: none). Tests. */
  long earliestHeldSecond() {
    synchronized (byExpiry) {
      return byExpiry.isEmpty() ? Long.MAX_VALUE : byExpiry.firstKey();
    }
  }

  /** Tokens held (tests, metrics). */
  public int size() {
    return tokens.size();
  }

  /**
   * The start of the last complete catch-up, as {@link System#nanoTime} (what the introspection
   * cache counts in), however the mirror's own clock runs: it is that long ago.
   */
  public long freshAt() {
    return System.nanoTime() - (nanoTime() - freshAt);
  }

  /** {@link #freshAt} in the mirror's own clock ({@link #nanoTime}). */
  long freshAtOwnClock() {
    return freshAt;
  }

  /** Whether the start-up load is done. */
  public boolean loaded() {
    return loaded;
  }

  /**
   * Completes once the mirror is loaded and a complete catch-up read that started after {@code
   * after} ({@link System#nanoTime}) is applied: everything committed before {@code after} is here
   * then. For tests to wait on the feed instead of sleeping; never completes while the feed is
   * stalled.
   */
  public CompletableFuture<Void> caughtUpPast(long after) {
    // In the mirror's clock (a test's may run ahead of System.nanoTime, never behind).
    long since = after + (nanoTime() - System.nanoTime());
    CatchUpWaiter w = new CatchUpWaiter(since, new CompletableFuture<>());
    catchUpWaiters.add(w);
    if (loaded && freshAt - since > 0 && catchUpWaiters.remove(w)) {
      w.done().complete(null);
    }
    return w.done();
  }

  // ------------------------------------------------------------------ changes

  /**
   * This process's commits (a commit listener of each of its event stores): revocations are applied
   * before the revoking request is answered. Issuances are left to the feed (a token not here is
   * read from the database), so the token endpoint does no more work than before.
   */
  public void onCommitted(List<RecordedEvent> events) {
    if (!enabled() || broken) {
      return; // a broken mirror never answers again: nothing to remember (review 6, L1)
    }
    for (RecordedEvent e : events) {
      if (AccessTokenRevoked.TYPE.equals(e.type()) || GrantRevoked.TYPE.equals(e.type())) {
        apply(
            e.txid(),
            TokenChange.of(GrantEventCodec.INSTANCE.fromJson(e.type(), e.payload())),
            nanoTime());
      }
    }
  }

  /** One committed change of transaction {@code txid} (null: none). */
  void apply(long txid, TokenChange c, long nanoNow) {
    if (c == null || broken) {
      return; // broken: never answers again, so it takes and remembers nothing (review 6, L1)
    }
    switch (c.kind()) {
      case CODE_REDEEMED, REFRESH_ROTATED, CLIENT_CREDENTIALS -> {
        if (c.jti() != null) {
          insert(
              c.jti(),
              c.grantId(),
              c.clientId(),
              c.subject(),
              c.scope(),
              c.at(),
              c.accessExpires(),
              false,
              c.tokenHash(),
              null);
        }
      }
      case TOKEN_EXCHANGED -> {
        // Not taken as it is issued (review 6, L2): the exchange read its subject grant, another
        // stream, so it may commit after that grant's revocation, even after the mirror forgot
        // that revocation; the database path walks the chain at every read, so the database
        // answers such tokens. They are rare.
      }
      case ACCESS_REVOKED -> revokeToken(c.jti(), txid, nanoNow);
      case GRANT_REVOKED -> revokeGrant(c.grantId(), txid, nanoNow);
      default -> {}
    }
  }

  /**
   * A token as a row of the projection has it (the start-up load; {@code revoked}: the row's own or
   * its grants' revocation, as of the row's read); never replaces a token already held.
   *
   * @param tokenHash the JWT's recorded SHA-256 (base64url), or null
   * @param audience the exchange's {@code aud}, act (JSON) and chain, or all empty
   */
  void insertRow(
      String jti,
      String grantId,
      String clientId,
      String subject,
      String scope,
      long issuedMicros,
      long expiresMicros,
      boolean revoked,
      String tokenHash,
      List<String> audience,
      Optional<String> act,
      List<String> chain) {
    insert(
        jti,
        grantId,
        clientId,
        subject,
        scope,
        issuedMicros,
        expiresMicros,
        revoked,
        tokenHash,
        audience.isEmpty() && act.isEmpty() && chain.isEmpty()
            ? null
            : new Exchange(audience, act, chain));
  }

  private void insert(
      String jti,
      String grantId,
      String clientId,
      String subject,
      String scope,
      long issuedMicros,
      long expiresMicros,
      boolean revoked,
      String tokenHash,
      Exchange exchange) {
    if (broken || max <= 0 || expiresMicros <= LedgerCopy.pgMicros(clock.instant())) {
      return; // expired (an old issuance read again): the database answers
    }
    String client = intern(clientId);
    Entry e =
        new Entry(
            prefixOf(jti, grantId) ? null : grantId,
            client,
            clientId.equals(subject) ? client : subject,
            intern(scope),
            issuedMicros,
            expiresMicros,
            decodedHash(tokenHash),
            exchange,
            revoked);
    long second = expirySecond(expiresMicros);
    Entry held;
    synchronized (byExpiry) {
      held = tokens.get(jti);
      if (held == null) {
        if (tokens.size() >= max && !evictOneBefore(second)) {
          return; // full of tokens expiring no earlier: the database answers this one
        }
        tokens.put(jti, e);
        byExpiry.computeIfAbsent(second, k -> new ArrayDeque<>()).add(jti);
      }
    }
    // After the insert, so a revocation applied meanwhile on another thread is seen by one side.
    if (revokedJtis.containsKey(jti)) {
      (held == null ? e : held).revoked = true;
    }
  }

  /**
   * Drops one of the tokens that expire first, if they expire in an earlier second than {@code
   * second}; false when none does (under the {@link #byExpiry} lock).
   */
  private boolean evictOneBefore(long second) {
    Map.Entry<Long, ArrayDeque<String>> first = byExpiry.firstEntry();
    if (first == null || first.getKey() >= second) {
      return false;
    }
    ArrayDeque<String> jtis = first.getValue();
    tokens.remove(jtis.poll());
    if (jtis.isEmpty()) {
      byExpiry.pollFirstEntry();
    }
    evicted.increment();
    return true;
  }

  /** The recorded hash's 32 bytes (kept decoded: 48 bytes instead of a 43-character string). */
  private static byte[] decodedHash(String tokenHash) {
    if (tokenHash == null) {
      return null;
    }
    try {
      return B64URL_DECODER.decode(tokenHash);
    } catch (IllegalArgumentException e) {
      return null; // never recorded so (the codec checks it): the signature decides
    }
  }

  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private void revokeToken(String jti, long txid, long nanoNow) {
    revokedJtis.put(jti, new Revocation(txid, nanoNow));
    Entry e = tokens.get(jti);
    if (e != null) {
      e.revoked = true;
    }
  }

  private void revokeGrant(String grantId, long txid, long nanoNow) {
    revokedGrants.put(grantId, new Revocation(txid, nanoNow));
  }

  /**
   * The feed has applied everything committed before {@code startedAt} ({@link #nanoTime}); after
   * the first call (the start-up load) the mirror answers.
   */
  void caughtUp(long startedAt) {
    freshAt = startedAt;
    loaded = true;
    for (CatchUpWaiter w : catchUpWaiters) {
      if (startedAt - w.after() > 0 && catchUpWaiters.remove(w)) {
        w.done().complete(null);
      }
    }
  }

  /**
   * Forgets every token and every revocation, and answers nothing until the next load is done (a
   * start-up load that failed, or a feed that could not catch up for longer than revocations are
   * remembered): the next load starts afresh from a snapshot that holds every revocation committed
   * before it, and a revocation committed after it is remembered again. So the revocations are not
   * kept for as long as the feed fails (review 6, L1).
   */
  void reset() {
    loaded = false;
    synchronized (byExpiry) {
      tokens.clear();
      byExpiry.clear();
    }
    revokedGrants.clear();
    revokedJtis.clear();
  }

  /**
   * An event could not be read: the mirror stops answering for good (the database answers), and
   * forgets what it held.
   */
  void broken(String why) {
    if (!broken) {
      log.error("The introspection mirror stops answering: {}", why);
    }
    broken = true;
    reset();
  }

  /**
   * Drops expired tokens, folds grant revocations into their tokens, and forgets revocations of
   * transactions below {@code floor} (every transaction below it has been applied) older than a
   * minute. Run by the feed between its reads.
   */
  void sweep(long floor) {
    long now = LedgerCopy.pgMicros(clock.instant());
    synchronized (byExpiry) {
      // Every token of a second before the current one has expired.
      Map<Long, ArrayDeque<String>> expired = byExpiry.headMap(expirySecond(now), false);
      for (ArrayDeque<String> jtis : expired.values()) {
        for (String jti : jtis) {
          tokens.remove(jti);
        }
      }
      expired.clear();
    }
    if (!revokedGrants.isEmpty()) {
      for (Map.Entry<String, Entry> me : tokens.entrySet()) {
        Entry e = me.getValue();
        if (!e.revoked && revokedByGrant(me.getKey(), e)) {
          e.revoked = true;
        }
      }
    }
    long old = nanoTime() - FORGET_AFTER_NANOS;
    revokedGrants.values().removeIf(r -> r.txid < floor && r.appliedAt - old < 0);
    revokedJtis.values().removeIf(r -> r.txid < floor && r.appliedAt - old < 0);
  }

  private boolean revokedByGrant(String jti, Entry e) {
    String grantId = e.grantId != null ? e.grantId : jti.substring(0, jti.indexOf('.'));
    if (revokedGrants.containsKey(grantId)) {
      return true;
    }
    if (e.exchange != null) {
      for (String g : e.exchange.chain) {
        if (revokedGrants.containsKey(g)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether {@code jti} is {@code <grantId>.<…>}, as {@link GrantTokens} makes every jti. */
  private static boolean prefixOf(String jti, String grantId) {
    return jti.length() > grantId.length()
        && jti.charAt(grantId.length()) == '.'
        && jti.startsWith(grantId);
  }

  private String intern(String s) {
    String known = interned.get(s);
    if (known != null) {
      return known;
    }
    if (interned.size() >= MAX_INTERNED) {
      return s;
    }
    known = interned.putIfAbsent(s, s);
    return known == null ? s : known;
  }

  /**
   * One token: what its answer says. {@code grantId} only when the jti does not start with it
   * (never, for the tokens this server makes); times in PostgreSQL's microseconds ({@link
   * LedgerCopy#pgMicros}), so they equal the projection's {@code timestamptz} values exactly.
   */
  static final class Entry implements AccessTokenFacts {
    final String grantId;
    final String clientId;
    final String subject;
    final String scope;
    final long issuedMicros;
    final long expiresMicros;
    final byte[] tokenHash;
    final Exchange exchange;
    volatile boolean revoked;

    Entry(
        String grantId,
        String clientId,
        String subject,
        String scope,
        long issuedMicros,
        long expiresMicros,
        byte[] tokenHash,
        Exchange exchange,
        boolean revoked) {
      this.grantId = grantId;
      this.clientId = clientId;
      this.subject = subject;
      this.scope = scope;
      this.issuedMicros = issuedMicros;
      this.expiresMicros = expiresMicros;
      this.tokenHash = tokenHash;
      this.exchange = exchange;
      this.revoked = revoked;
    }

    @Override
    public String clientId() {
      return clientId;
    }

    @Override
    public String subject() {
      return subject;
    }

    @Override
    public String scope() {
      return scope;
    }

    @Override
    public Instant issuedAt() {
      return LedgerCopy.instant(issuedMicros);
    }

    @Override
    public Instant expiresAt() {
      return LedgerCopy.instant(expiresMicros);
    }

    @Override
    public Optional<String> act() {
      return exchange == null ? Optional.empty() : exchange.act;
    }

    @Override
    public List<String> audience() {
      return exchange == null ? List.of() : exchange.audience;
    }

    @Override
    public Optional<String> tokenHash() {
      return tokenHash == null ? Optional.empty() : Optional.of(B64URL.encodeToString(tokenHash));
    }

    @Override
    public boolean activeAt(Instant now) {
      return !revoked && now.isBefore(expiresAt());
    }
  }
}
