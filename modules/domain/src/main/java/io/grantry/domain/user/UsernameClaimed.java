package io.grantry.domain.user;

import java.util.Objects;

/**
 * A username was taken by a user. Usernames are unique regardless of case, a rule that spans users
 * and so cannot be decided inside one user's stream: the writer appends this event to the claim
 * stream {@link #streamId} with "no stream" as the expected version before it registers the user,
 * and the event store's per-stream concurrency lets exactly one claimant win.
 *
 * @param userId the user who holds the name
 * @param username the name as the user typed it
 */
public record UsernameClaimed(String userId, String username) {
  public static final String TYPE = "user.username_claimed.v1";
  public static final String STREAM_PREFIX = "username:";

  public UsernameClaimed {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(username, "username");
  }

  /** The claim stream of {@code username}: {@code username:<normalized username>}. */
  public static String streamId(String username) {
    return STREAM_PREFIX + Usernames.normalize(username);
  }

  public String type() {
    return TYPE;
  }
}
