package io.grantry.rebuild;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.AuthorizationCodeReplayed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.CodeRedemption;
import io.grantry.domain.grant.DeviceAuthorizationApproved;
import io.grantry.domain.grant.DeviceAuthorizationDenied;
import io.grantry.domain.grant.DeviceAuthorizationRequested;
import io.grantry.domain.grant.DeviceCodeRedeemed;
import io.grantry.domain.grant.DeviceCodeReplayed;
import io.grantry.domain.grant.GrantAccessTokens;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenReuseDetected;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.AppendResult;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.projections.FirstPass;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.tokenstate.TokenStateProjection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rebuild's fold of token state ({@link TokenStateFold}, through the whole bulk first pass:
 * COPY out, the fast JSON reading, the fold, COPY in, the indexes) gives the rows the live
 * projection's statements ({@link TokenStateProjection}) give, row for row, for random histories:
 *
 * <ul>
 *   <li>histories the domain can write (grants issued, redeemed, rotated, their tokens revoked,
 *       reuse detected, codes replayed; device authorizations waiting, denied, allowed, redeemed,
 *       replayed and revoked at every step; interleaved across grants and appended in group commits
 *       of every size, so both the new-grants path and the idempotent path run): the fold equals
 *       the live tables the appends wrote;
 *   <li>any history (events in any order, keys shared across grants, revocations of what was never
 *       issued, the same token issued twice): the fold equals the statements replayed over the same
 *       pages, which is what the fold promises for any input.
 * </ul>
 */
class TokenStateFoldTest {
  private final Random random = new Random(17);
  private TestDatabase db;
  private Vertx vertx;
  private Pool pool;
  private EventStore store;
  private Instant clock = Instant.parse("2026-03-01T08:00:00Z");

  @BeforeEach
  void start() {
    db = TestDatabase.fresh();
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
  }

  @AfterEach
  void stop() throws Exception {
    await(store.close());
    await(pool.close());
    await(vertx.close());
  }

  @Test
  void historiesTheDomainWritesFoldToTheLiveTables() throws Exception {
    TokenStateProjection projection = new TokenStateProjection();
    ProjectionRunner runner = new ProjectionRunner(store);
    store.addInlineProjection(runner.inline(projection));
    List<Grant> grants = new ArrayList<>();
    int events = 0;
    while (events < 6000) {
      // One round: some grants started, some others moved on, each a stream append of its own,
      // all sent at once (the store commits them in groups: new grants alone, or mixed).
      List<Future<AppendResult>> round = new ArrayList<>();
      for (int i = random.nextInt(40) + 1; i > 0; i--) {
        int kind = random.nextInt(6);
        Grant g = new Grant(id(), kind < 2, kind == 2);
        grants.add(g);
        round.add(append(g, g.start()));
      }
      List<Grant> alive = grants.stream().filter(g -> !g.ended).toList();
      for (Grant g : pick(alive, random.nextInt(60))) {
        List<GrantEvent> next = g.next();
        if (!next.isEmpty()) {
          round.add(append(g, next));
        }
      }
      for (Future<AppendResult> f : round) {
        events += await(f).events().size();
      }
    }
    for (int parts : new int[] {1, 3}) {
      TableNames folded = bulk(projection, parts);
      for (String table : projection.tables()) {
        assertSameRows(table, folded.of(table));
      }
    }
    // The history reached every state the tables hold.
    assertThat(column("SELECT DISTINCT status FROM grants"))
        .contains(
            "code_issued", "active", "revoked", "authorization_pending", "approved", "denied");
    assertThat(
            column(
                "SELECT DISTINCT status FROM grants"
                    + " WHERE kind = 'urn:ietf:params:oauth:grant-type:device_code'"))
        .contains("authorization_pending", "approved", "denied", "active", "revoked");
    assertThat(column("SELECT DISTINCT status FROM refresh_tokens"))
        .contains("active", "rotated", "revoked");
    assertThat(column("SELECT DISTINCT (revoked_at IS NULL)::text FROM access_tokens"))
        .contains("true", "false");
    // JWTs with their recorded hash (access_token_hash) and tokens without (opaque, or older).
    assertThat(column("SELECT DISTINCT (token_hash IS NULL)::text FROM access_tokens"))
        .contains("true", "false");
  }

  @Test
  void anyHistoryFoldsToWhatTheStatementsGivePageForPage() throws Exception {
    TokenStateProjection projection = new TokenStateProjection();
    List<String> grantIds = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      grantIds.add(id());
    }
    List<Future<AppendResult>> sent = new ArrayList<>();
    for (int i = 0; i < 5 * FirstPass.PAGE_SIZE + 321; i++) {
      // Half the events go to 20 hot grants (long histories, every event kind on each), half spread
      // over all of them (short histories, so that some grants end issued or active, not revoked).
      String g = grantIds.get(random.nextInt(random.nextBoolean() ? 20 : grantIds.size()));
      GrantEvent e = hashedSometimes(anyEvent(g));
      sent.add(
          store.append(
              GrantTokens.streamId(g),
              ExpectedVersion.ANY,
              NewEvent.of(e.type(), GrantEventCodec.INSTANCE.toJson(e))));
    }
    for (Future<AppendResult> f : sent) {
      await(f);
    }
    ProjectionRunner runner = new ProjectionRunner(store);
    TableNames replayed = await(runner.createCopies(projection, "__statements"));
    await(runner.replay(projection, replayed, GlobalPosition.START));
    // One fold of everything, and folds in parts (keys of a part: grant ids, jtis and hashes
    // hashed apart, so the keys shared across grants and the grants' revocations cross parts).
    for (int parts : new int[] {1, 2, 5}) {
      TableNames folded = bulk(projection, parts);
      for (String table : projection.tables()) {
        assertSameRows(replayed.of(table), folded.of(table));
      }
    }
    assertThat(column("SELECT DISTINCT status FROM grants__statements"))
        .contains(
            "code_issued", "active", "revoked", "authorization_pending", "approved", "denied");
    assertThat(column("SELECT DISTINCT status FROM refresh_tokens__statements"))
        .contains("active", "rotated", "revoked");
    assertThat(column("SELECT DISTINCT (token_hash IS NULL)::text FROM access_tokens__statements"))
        .contains("true", "false");
  }

  /**
   * Half the events that issue an access token record a JWT's hash ({@code access_token_hash}), as
   * since V27; the others do not, as opaque tokens and events written before.
   */
  private GrantEvent hashedSometimes(GrantEvent e) {
    return random.nextBoolean()
        ? GrantAccessTokens.withAccessTokenHash(e, GrantTokens.hash(id()))
        : e;
  }

  /**
   * The ledger through the bulk first pass into fresh copies (no indexes: it builds them), the
   * token-state fold made in {@code parts} parts.
   */
  private TableNames bulk(Projection p, int parts) throws Exception {
    TableNames copies = TableNames.withSuffix(p, "__folded");
    for (String table : p.tables()) {
      await(pool.query("DROP TABLE IF EXISTS " + copies.of(table)).execute());
      await(
          pool.query(
                  "CREATE TABLE "
                      + copies.of(table)
                      + " (LIKE "
                      + table
                      + " INCLUDING ALL EXCLUDING INDEXES)")
              .execute());
    }
    BulkFirstPass pass = BulkFirstPass.of(db::connect).inParts(parts);
    assertThat(pass.writesInBulk(p)).isTrue();
    await(pass.run(pool, List.of(p), Map.of(p, copies), n -> {}));
    return copies;
  }

  private void assertSameRows(String expected, String actual) throws Exception {
    long rows = count("SELECT count(*) FROM " + expected);
    assertThat(rows).as(expected).isGreaterThan(20);
    assertThat(count("SELECT count(*) FROM " + actual)).as(actual).isEqualTo(rows);
    assertThat(
            count(
                "SELECT count(*) FROM (SELECT * FROM "
                    + expected
                    + " EXCEPT ALL SELECT * FROM "
                    + actual
                    + ") d"))
        .as("rows of %s not in %s", expected, actual)
        .isZero();
    assertThat(
            count(
                "SELECT count(*) FROM (SELECT * FROM "
                    + actual
                    + " EXCEPT ALL SELECT * FROM "
                    + expected
                    + ") d"))
        .as("rows of %s not in %s", actual, expected)
        .isZero();
  }

  private long count(String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getLong(0);
  }

  private List<String> column(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    for (Row r : await(pool.query(sql).execute())) {
      out.add(r.getString(0));
    }
    return out;
  }

  private Future<AppendResult> append(Grant g, List<GrantEvent> events) {
    List<NewEvent> out = new ArrayList<>();
    for (GrantEvent e : events) {
      GrantEvent h = hashedSometimes(e);
      out.add(NewEvent.of(h.type(), GrantEventCodec.INSTANCE.toJson(h)));
    }
    ExpectedVersion expected = ExpectedVersion.exactly(g.version);
    g.version += events.size();
    return store.append(GrantTokens.streamId(g.id), expected, out);
  }

  private <T> List<T> pick(List<T> from, int n) {
    List<T> copy = new ArrayList<>(from);
    List<T> out = new ArrayList<>();
    while (out.size() < n && !copy.isEmpty()) {
      out.add(copy.remove(random.nextInt(copy.size())));
    }
    return out;
  }

  private String id() {
    return Long.toHexString(random.nextLong() & Long.MAX_VALUE) + "g" + random.nextInt(1000);
  }

  /** Now, moved on by up to a second, with 0 to 9 fraction digits (stored truncated to µs). */
  private Instant now() {
    int nanos =
        switch (random.nextInt(3)) {
          case 0 -> random.nextInt(1000) * 1_000_000;
          case 1 -> random.nextInt(1_000_000) * 1000;
          default -> random.nextInt(1_000_000_000);
        };
    clock = clock.plusSeconds(random.nextInt(2)).plusNanos(nanos);
    return clock;
  }

  private Scopes scopes() {
    List<String> pick = new ArrayList<>();
    for (String s : List.of("openid", "profile", "offline_access", "api.read", "api:write")) {
      if (random.nextBoolean()) {
        pick.add(s);
      }
    }
    return Scopes.of(pick.isEmpty() ? List.of("openid") : pick);
  }

  private RevocationReason reason() {
    return RevocationReason.values()[random.nextInt(RevocationReason.values().length)];
  }

  /** A grant as the domain moves it on: each step what the deciders could append next. */
  private final class Grant {
    final String id;
    final boolean clientCredentials;

    /** A device authorization grant: requested, answered by its user, then redeemed. */
    final boolean device;

    /** A device's answer so far: null while it waits for its user. */
    Boolean approved;

    final String client = "client-" + random.nextInt(4);
    final String user = "user-" + random.nextInt(30);
    final List<String> jtis = new ArrayList<>();
    long version;
    boolean redeemed;
    String refresh;
    final List<String> rotated = new ArrayList<>();
    boolean ended;

    Grant(String id, boolean clientCredentials, boolean device) {
      this.id = id;
      this.clientCredentials = clientCredentials;
      this.device = device;
    }

    List<GrantEvent> start() {
      Instant at = now();
      if (clientCredentials) {
        String jti = id + ".a0";
        jtis.add(jti);
        return List.of(
            new ClientCredentialsIssued(id, client, jti, scopes(), at, at.plusSeconds(3600)));
      }
      if (device) {
        return List.of(
            new DeviceAuthorizationRequested(
                id,
                client,
                scopes(),
                "d".repeat(43),
                "u".repeat(43),
                Duration.ofSeconds(5),
                at,
                at.plusSeconds(600)));
      }
      return List.of(
          new AuthorizationCodeIssued(
              id,
              client,
              user,
              "https://app.example/cb",
              true,
              scopes(),
              "h".repeat(43),
              Optional.empty(),
              Optional.empty(),
              at,
              Optional.empty(),
              at,
              at.plusSeconds(60),
              Optional.empty()));
    }

    List<GrantEvent> next() {
      Instant at = now();
      int roll = random.nextInt(20);
      if (clientCredentials) {
        if (roll < 2) {
          ended = true;
          return List.of(new GrantRevoked(id, reason(), "admin:ops", at));
        }
        return roll < 5 && jtis.size() == 1
            ? List.of(new AccessTokenRevoked(id, jtis.get(0), "client:" + client, at))
            : List.of();
      }
      if (device && approved == null) {
        if (roll < 2) {
          ended = true;
          approved = false;
          return List.of(new DeviceAuthorizationDenied(id, client, user, at));
        }
        if (roll < 3) {
          ended = true; // the user disabled while the device waits
          return List.of(new GrantRevoked(id, RevocationReason.USER_DISABLED, "admin:ops", at));
        }
        if (roll < 6) {
          return List.of(); // still waiting for its user
        }
        approved = true;
        return List.of(
            new DeviceAuthorizationApproved(
                id,
                client,
                user,
                at.minusSeconds(30),
                random.nextBoolean() ? Optional.of("sid-" + random.nextInt(9)) : Optional.empty(),
                at));
      }
      if (device && !redeemed) {
        if (roll < 2) {
          ended = true;
          return List.of(new GrantRevoked(id, RevocationReason.USER_DISABLED, "admin:ops", at));
        }
        if (roll < 4) {
          return List.of(); // allowed, not polled yet
        }
      } else if (!redeemed) {
        if (roll < 2) {
          ended = true;
          return List.of(
              new AuthorizationCodeReplayed(id, client, at),
              new GrantRevoked(id, RevocationReason.CODE_REPLAYED, "system", at));
        }
        if (roll < 4) {
          return List.of(); // never redeemed: the code stays issued
        }
      }
      if (!redeemed) {
        redeemed = true;
        String jti = id + ".a" + jtis.size();
        jtis.add(jti);
        boolean offline = random.nextInt(4) != 0;
        refresh = offline ? id + ".r0" : null;
        CodeRedemption.Issued issued =
            new CodeRedemption.Issued(
                id,
                client,
                user,
                jti,
                at.plusSeconds(600),
                Optional.ofNullable(refresh),
                offline ? Optional.of(at.plusSeconds(86_400)) : Optional.empty(),
                Optional.empty(),
                scopes(),
                at);
        return List.of(
            device ? new DeviceCodeRedeemed(issued) : new AuthorizationCodeRedeemed(issued));
      }
      if (roll < 1) {
        ended = true;
        return List.of(new GrantRevoked(id, reason(), "user:" + user, at));
      }
      if (roll < 2 && device && random.nextBoolean()) {
        ended = true; // the spent device code presented again
        return List.of(
            new DeviceCodeReplayed(id, client, at),
            new GrantRevoked(id, RevocationReason.DEVICE_CODE_REPLAYED, "system", at));
      }
      if (roll < 2 && !rotated.isEmpty()) {
        ended = true;
        return List.of(
            new RefreshTokenReuseDetected(id, client, rotated.get(0), at),
            new GrantRevoked(id, RevocationReason.REFRESH_REUSE, "system", at));
      }
      if (roll < 4) {
        return List.of(
            new AccessTokenRevoked(
                id, jtis.get(random.nextInt(jtis.size())), "client:" + client, at));
      }
      if (refresh == null) {
        return List.of();
      }
      String old = refresh;
      rotated.add(old);
      refresh = id + ".r" + rotated.size();
      String jti = id + ".a" + jtis.size();
      jtis.add(jti);
      return List.of(
          new RefreshTokenRotated(
              id,
              client,
              user,
              old,
              refresh,
              jti,
              at.plusSeconds(600),
              at.plusSeconds(86_400),
              scopes(),
              at));
    }
  }

  /**
   * An event of any kind for grant {@code g}, its tokens drawn from small pools shared by every
   * grant: the same jti or refresh hash comes up in several grants, issued and revoked in any
   * order.
   */
  private GrantEvent anyEvent(String g) {
    Instant at = now();
    String jti = "jti-" + random.nextInt(60);
    String hash = "hash-" + random.nextInt(1000);
    String client = "client-" + random.nextInt(3);
    String user = "user-" + random.nextInt(5);
    return switch (random.nextInt(12)) {
      case 0 ->
          new AuthorizationCodeIssued(
              g,
              client,
              user,
              "https://app.example/cb",
              false,
              scopes(),
              "h".repeat(43),
              Optional.empty(),
              Optional.empty(),
              at,
              Optional.of(Duration.ofSeconds(300)),
              at,
              at.plusSeconds(60),
              random.nextBoolean() ? Optional.of("sid-" + random.nextInt(9)) : Optional.empty());
      case 1 -> {
        boolean refresh = random.nextBoolean();
        yield new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                g,
                client,
                user,
                jti,
                at.plusSeconds(600),
                refresh ? Optional.of(hash) : Optional.empty(),
                refresh ? Optional.of(at.plusSeconds(86_400)) : Optional.empty(),
                Optional.empty(),
                scopes(),
                at));
      }
      case 2, 3 ->
          new RefreshTokenRotated(
              g,
              client,
              user,
              "hash-" + random.nextInt(1000),
              hash,
              jti,
              at.plusSeconds(600),
              at.plusSeconds(86_400),
              scopes(),
              at);
      case 4 -> new AccessTokenRevoked(g, jti, "admin:ops", at);
      case 5 -> new GrantRevoked(g, reason(), "admin:ops", at);
      case 6 -> new RefreshTokenReuseDetected(g, client, hash, at);
      case 8 ->
          new DeviceAuthorizationRequested(
              g, client, scopes(), "d".repeat(43), "u".repeat(43), Duration.ofSeconds(5), at, at);
      case 9 ->
          random.nextBoolean()
              ? new DeviceAuthorizationApproved(g, client, user, at, Optional.empty(), at)
              : new DeviceAuthorizationDenied(g, client, user, at);
      case 10 -> {
        boolean refresh = random.nextBoolean();
        yield new DeviceCodeRedeemed(
            new CodeRedemption.Issued(
                g,
                client,
                user,
                jti,
                at.plusSeconds(600),
                refresh ? Optional.of(hash) : Optional.empty(),
                refresh ? Optional.of(at.plusSeconds(86_400)) : Optional.empty(),
                Optional.empty(),
                scopes(),
                at));
      }
      default -> new ClientCredentialsIssued(g, client, jti, scopes(), at, at.plusSeconds(3600));
    };
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
