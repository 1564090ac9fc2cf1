package io.grantry.server.users;

import io.grantry.domain.user.UserDecider;
import io.grantry.domain.user.UserState;
import io.grantry.domain.user.Usernames;
import io.grantry.server.app.ProjectionCache;
import io.grantry.server.crypto.PasswordHasher;
import io.grantry.server.crypto.PasswordHashing;
import io.grantry.server.crypto.PasswordHashingBusyException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who the users are: the read side of the user aggregate, answered from the {@code users}
 * projection (written in the append's transaction). The login page signs people in with {@link
 * #authenticate}; token and userinfo endpoints look subjects up with {@link #findById}.
 */
public final class UserDirectory {
  private static final String COLUMNS =
      "user_id, username, normalized_username, password_hash, email, name, email_verified, disabled,"
          + " registered_at";
  private static final String BY_ID = "SELECT " + COLUMNS + " FROM users WHERE user_id = $1";
  private static final String BY_USERNAME =
      "SELECT " + COLUMNS + " FROM users WHERE normalized_username = $1";
  private static final String PAGE =
      "SELECT "
          + COLUMNS
          + " FROM users WHERE normalized_username > $1 ORDER BY normalized_username LIMIT $2";

  private final Pool pool;
  private final PasswordHashing passwords;

  /**
   * Lookups by id kept for a moment, dropped by this process's commits of the user's stream; null:
   * none.
   */
  private final ProjectionCache<Optional<UserState.Registered>> cache;

  /**
   * @param pool holds the {@code users} projection
   * @param passwords checks passwords (Argon2id, bounded, on threads of its own)
   * @param cache lookups by id (null: none)
   */
  public UserDirectory(
      Pool pool, PasswordHashing passwords, ProjectionCache<Optional<UserState.Registered>> cache) {
    this.pool = pool;
    this.passwords = passwords;
    this.cache = cache;
  }

  /**
   * The user with subject {@code userId}, disabled ones included (check {@link
   * UserState.Registered#disabled()}). Served from the server's {@link ProjectionCache} when it
   * holds the user (the code flow and refreshes look the same user up again and again); a change of
   * the user through this process is seen at once, through another instance within {@code
   * GRANTRY_USER_CACHE_MS}.
   */
  public Future<Optional<UserState.Registered>> findById(String userId) {
    if (userId == null || userId.isEmpty() || userId.length() > UserDecider.MAX_USER_ID_LENGTH) {
      return Future.succeededFuture(Optional.empty());
    }
    if (cache != null) {
      return cache.get(UsersProjection.streamId(userId), stream -> read(userId));
    }
    return read(userId);
  }

  private Future<Optional<UserState.Registered>> read(String userId) {
    return pool.preparedQuery(BY_ID).execute(Tuple.of(userId)).map(UserDirectory::first);
  }

  /** The user whose username equals {@code username} regardless of case, disabled ones included. */
  public Future<Optional<UserState.Registered>> findByUsername(String username) {
    if (username == null || Usernames.problemWith(username).isPresent()) {
      return Future.succeededFuture(Optional.empty());
    }
    return pool.preparedQuery(BY_USERNAME)
        .execute(Tuple.of(Usernames.normalize(username)))
        .map(UserDirectory::first);
  }

  /**
   * The user if {@code password} is theirs and the account is enabled; empty otherwise, without
   * saying why. Argon2id runs in the server's bounded {@link PasswordHashing} (never on an event
   * loop, nor on the worker pool); when every slot and its queue are taken the future fails with
   * {@link PasswordHashingBusyException} (503). An unknown username costs one Argon2id verification
   * too ({@link PasswordHasher#verifyUnknownUser}), and a disabled account's password is still
   * checked, so the response time does not tell which usernames exist or are disabled.
   */
  public Future<Optional<UserState.Registered>> authenticate(String username, String password) {
    return findByUsername(username)
        .compose(
            found -> {
              if (found.isEmpty() || password == null) {
                return passwords
                    .verifyUnknownUser(password == null ? "" : password)
                    .map(x -> Optional.<UserState.Registered>empty());
              }
              return passwords
                  .verify(password, found.get().passwordHash())
                  .map(ok -> ok && !found.get().disabled() ? found : Optional.empty());
            });
  }

  /**
   * Up to {@code limit} users ordered by normalized username, after {@code afterUsername} (empty:
   * from the first).
   */
  public Future<List<UserState.Registered>> list(Optional<String> afterUsername, int limit) {
    return pool.preparedQuery(PAGE)
        .execute(Tuple.of(afterUsername.map(Usernames::normalize).orElse(""), limit))
        .map(
            rows -> {
              List<UserState.Registered> out = new ArrayList<>(rows.size());
              rows.forEach(r -> out.add(fromRow(r)));
              return out;
            });
  }

  private static Optional<UserState.Registered> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(fromRow(rows.iterator().next()));
  }

  static UserState.Registered fromRow(Row r) {
    return new UserState.Registered(
        r.getString("user_id"),
        r.getString("username"),
        r.getString("normalized_username"),
        r.getString("password_hash"),
        Optional.ofNullable(r.getString("email")),
        Optional.ofNullable(r.getString("name")),
        r.getBoolean("email_verified"),
        r.getBoolean("disabled"),
        r.getOffsetDateTime("registered_at").toInstant());
  }
}
