package io.grantry.cli;

import io.grantry.domain.user.Usernames;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * A user named on the command line by id or by username, for the commands that read the database
 * ({@code audit history --user}, {@code audit as-of --user}); the admin API commands do the same
 * through the API ({@code UsersCommand.userId}). An id wins over a username that happens to equal
 * it; a name that is neither is left as given, for the command to report as unknown.
 */
final class UserRefs {
  private UserRefs() {}

  static String userId(CliSupport.Db db, String user) throws Exception {
    for (Row r :
        CliSupport.await(
            db.pool
                .preparedQuery(
                    "SELECT user_id, 0 AS rank FROM users WHERE user_id = $1"
                        + " UNION ALL SELECT user_id, 1 FROM users WHERE normalized_username = $2"
                        + " ORDER BY rank LIMIT 1")
                .execute(Tuple.of(user, Usernames.normalize(user))))) {
      return r.getString("user_id");
    }
    return user;
  }
}
