package io.grantry.domain.client;

import java.util.Locale;
import java.util.Objects;

/**
 * A client id was taken. Client ids are unique regardless of case ({@code DEMO-WEB} beside {@code
 * demo-web} would be a look-alike on a consent page and in a log), a rule that spans clients and so
 * cannot be decided inside one client's stream: the writer appends this event to the claim stream
 * {@link #streamId} with "no stream" as the expected version before it registers the client, and
 * the event store's per-stream concurrency lets exactly one claimant win (as {@code
 * UsernameClaimed} does for usernames).
 *
 * @param clientId the client id as registered (its case is kept: lookups stay exact)
 */
public record ClientIdClaimed(String clientId) {
  public static final String TYPE = "client.client_id_claimed.v1";

  /** Not {@code client:}, the clients' own streams: the claims are not client events. */
  public static final String STREAM_PREFIX = "client_id:";

  public ClientIdClaimed {
    Objects.requireNonNull(clientId, "clientId");
  }

  /**
   * The uniqueness key of {@code clientId}: lower case under {@link Locale#ROOT}, exact for the
   * ASCII ids {@link ClientDecider} accepts.
   */
  public static String normalize(String clientId) {
    return clientId.toLowerCase(Locale.ROOT);
  }

  /** The claim stream of {@code clientId}: {@code client_id:<normalized id>}. */
  public static String streamId(String clientId) {
    return STREAM_PREFIX + normalize(clientId);
  }

  public String type() {
    return TYPE;
  }
}
