package io.grantry.server.sessions;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.user.SessionCommand;
import io.grantry.domain.user.SessionDecider;
import io.grantry.domain.user.SessionEndReason;
import io.grantry.domain.user.SessionStarted;
import io.grantry.domain.user.UserEvent;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.domain.user.UserState;
import io.grantry.domain.user.UserStream;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.app.ProjectionCache;
import io.grantry.server.config.SessionSettings;
import io.grantry.server.users.UsersProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Server-side browser sessions, in the ledger: a sign-in appends {@code session_started} to the
 * user's stream with the SHA-256 of a 256-bit secret that only the browser's cookie holds ({@link
 * BrowserSessions}); sign-out, a password change, a disable and an administrator append {@code
 * session_ended}. A presented session is checked ({@link #check}) against the user's live sessions,
 * read from the {@code sessions} projection through a cache that this process's commits of the
 * user's stream drop at once and that other instances see change within {@code
 * GRANTRY_USER_CACHE_MS}.
 */
public final class SessionService {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String LIVE =
      "SELECT session_id, secret_hash, auth_time, expires_at FROM sessions"
          + " WHERE user_id = $1 AND ended_at IS NULL";
  private static final String LISTED =
      "SELECT session_id, auth_time, expires_at, method, address, user_agent FROM sessions"
          + " WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 ORDER BY auth_time DESC,"
          + " session_id";

  /** A live session. */
  public record Live(String userId, String sessionId, Instant authTime, Instant expiresAt) {}

  /** A session just started: its secret goes into the browser's cookie and nowhere else. */
  public record Started(Live session, String secret) {}

  /** A live session as its user and the admin API list it. */
  public record Listed(
      String sessionId,
      Instant authTime,
      Instant expiresAt,
      String method,
      Optional<String> address,
      Optional<String> userAgent) {}

  /** What the server keeps of one user's live sessions, by id: the cookie is checked against it. */
  public record Stored(String secretHash, Instant authTime, Instant expiresAt) {}

  private final Aggregate<UserStream, UserEvent> users;
  private final Pool pool;
  private final ProjectionCache<Map<String, Stored>> cache;
  private final SessionSettings lifetimes;
  private final Clock clock;

  public SessionService(
      EventStore store,
      ProjectionCache<Map<String, Stored>> cache,
      SessionSettings lifetimes,
      Clock clock) {
    this.users =
        new Aggregate<>(store, UserEventCodec.INSTANCE, UserStream.EMPTY, UserStream::evolve);
    this.pool = store.pool();
    this.cache = cache;
    this.lifetimes = lifetimes;
    this.clock = clock;
  }

  /** The cache of live sessions one server shares between its verticles. */
  public static ProjectionCache<Map<String, Stored>> newCache(Duration ttl) {
    String prefix = UsersProjection.streamId("");
    return new ProjectionCache<>(ttl, id -> id.startsWith(prefix));
  }

  /**
   * The session {@code sessionId} of {@code userId} when it has not ended or expired and {@code
   * secret} is its secret.
   */
  public Future<Optional<Live>> check(String userId, String sessionId, String secret) {
    if (userId.isEmpty() || userId.length() > 128) {
      return Future.succeededFuture(Optional.empty());
    }
    Instant now = clock.instant();
    return stored(userId)
        .map(
            sessions -> {
              Stored s = sessions.get(sessionId);
              if (s == null
                  || !now.isBefore(s.expiresAt())
                  || !GrantTokens.hashesEqual(GrantTokens.hash(secret), s.secretHash())) {
                return Optional.<Live>empty();
              }
              return Optional.of(new Live(userId, sessionId, s.authTime(), s.expiresAt()));
            });
  }

  /**
   * Starts a session for {@code user}, who has just authenticated by {@code method} ({@code pwd}).
   * The session {@code replacing} (this browser's previous one, if any) ends as replaced.
   */
  public Future<Started> start(
      UserState.Registered user,
      Optional<Live> replacing,
      Optional<String> address,
      Optional<String> userAgent,
      Aggregate.Metadata who) {
    String sessionId = random(16);
    String secret = random(32);
    SessionCommand.Start command =
        new SessionCommand.Start(
            user.userId(),
            sessionId,
            GrantTokens.hash(secret),
            "pwd",
            lifetimes.max(),
            address,
            userAgent,
            replacing.filter(r -> r.userId().equals(user.userId())).map(Live::sessionId));
    // Another user's session in this browser ends in that user's stream (a second append).
    Future<?> endOther =
        replacing
            .filter(r -> !r.userId().equals(user.userId()))
            .<Future<?>>map(r -> end(r.userId(), r.sessionId(), SessionEndReason.REPLACED, who))
            .orElse(Future.succeededFuture());
    return endOther
        .compose(
            x ->
                users.execute(
                    UsersProjection.streamId(user.userId()),
                    state -> SessionDecider.decide(state, command, clock.instant()),
                    who))
        .compose(
            outcome -> {
              if (!outcome.accepted()) {
                return Future.failedFuture(new CommandRejected(outcome.error()));
              }
              SessionStarted started =
                  outcome.events().stream()
                      .filter(SessionStarted.class::isInstance)
                      .map(SessionStarted.class::cast)
                      .findFirst()
                      .orElseThrow();
              return Future.succeededFuture(
                  new Started(
                      new Live(user.userId(), sessionId, started.authTime(), started.expiresAt()),
                      secret));
            });
  }

  /** Ends one session of {@code userId}; the number of sessions ended (0 or 1). */
  public Future<Integer> end(
      String userId, String sessionId, SessionEndReason reason, Aggregate.Metadata who) {
    return run(new SessionCommand.End(userId, sessionId, reason), who);
  }

  /** Ends every session of {@code userId} except {@code keep}; how many were ended. */
  public Future<Integer> endAll(
      String userId, SessionEndReason reason, Optional<String> keep, Aggregate.Metadata who) {
    return run(new SessionCommand.EndAll(userId, reason, keep), who);
  }

  /** The live sessions of {@code userId}, newest first. */
  public Future<List<Listed>> list(String userId) {
    return pool.preparedQuery(LISTED)
        .execute(Tuple.of(userId, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC)))
        .map(
            rows -> {
              List<Listed> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Listed(
                        r.getString("session_id"),
                        r.getOffsetDateTime("auth_time").toInstant(),
                        r.getOffsetDateTime("expires_at").toInstant(),
                        r.getString("method"),
                        Optional.ofNullable(r.getString("address")),
                        Optional.ofNullable(r.getString("user_agent"))));
              }
              return out;
            });
  }

  private Future<Integer> run(SessionCommand command, Aggregate.Metadata who) {
    return users
        .execute(
            UsersProjection.streamId(command.userId()),
            state -> SessionDecider.decide(state, command, clock.instant()),
            who)
        .compose(
            outcome ->
                outcome.accepted()
                    ? Future.succeededFuture(outcome.events().size())
                    : Future.failedFuture(new CommandRejected(outcome.error())));
  }

  private Future<Map<String, Stored>> stored(String userId) {
    return cache.get(
        UsersProjection.streamId(userId),
        stream ->
            pool.preparedQuery(LIVE)
                .execute(Tuple.of(userId))
                .map(
                    rows -> {
                      Map<String, Stored> out = new TreeMap<>();
                      for (Row r : rows) {
                        out.put(
                            r.getString("session_id"),
                            new Stored(
                                r.getString("secret_hash"),
                                r.getOffsetDateTime("auth_time").toInstant(),
                                r.getOffsetDateTime("expires_at").toInstant()));
                      }
                      return Collections.unmodifiableMap(out);
                    }));
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
