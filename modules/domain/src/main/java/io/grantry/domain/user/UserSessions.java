package io.grantry.domain.user;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The browser sessions of one user that have started and not ended, as the user's stream leaves
 * them. Immutable. A session past its absolute lifetime stays here until an {@link SessionEnded}
 * with {@link SessionEndReason#EXPIRED} is recorded (at the user's next sign-in), but is not
 * {@linkplain #live live}.
 */
public final class UserSessions {
  public static final UserSessions NONE = new UserSessions(Map.of());

  /** One started session: what the server needs to trust its cookie. */
  public record Session(
      String sessionId, String secretHash, Instant authTime, String method, Instant expiresAt) {
    public Session {
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(secretHash, "secretHash");
      Objects.requireNonNull(authTime, "authTime");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public boolean liveAt(Instant now) {
      return now.isBefore(expiresAt);
    }
  }

  private final Map<String, Session> byId;

  private UserSessions(Map<String, Session> byId) {
    this.byId = byId;
  }

  public Optional<Session> get(String sessionId) {
    return Optional.ofNullable(byId.get(sessionId));
  }

  /** Every started, not ended session, expired ones included, oldest first. */
  public List<Session> all() {
    List<Session> out = new ArrayList<>(byId.values());
    out.sort(Comparator.comparing(Session::authTime).thenComparing(Session::sessionId));
    return out;
  }

  /** The sessions whose cookie still signs the user in at {@code now}, oldest first. */
  public List<Session> live(Instant now) {
    return all().stream().filter(s -> s.liveAt(now)).toList();
  }

  public int size() {
    return byId.size();
  }

  UserSessions with(Session s) {
    Map<String, Session> m = new TreeMap<>(byId);
    m.put(s.sessionId(), s);
    return new UserSessions(Collections.unmodifiableMap(m));
  }

  UserSessions without(String sessionId) {
    if (!byId.containsKey(sessionId)) {
      return this;
    }
    Map<String, Session> m = new TreeMap<>(byId);
    m.remove(sessionId);
    return new UserSessions(Collections.unmodifiableMap(m));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserSessions other && byId.equals(other.byId);
  }

  @Override
  public int hashCode() {
    return byId.hashCode();
  }

  @Override
  public String toString() {
    return "UserSessions" + byId.keySet();
  }
}
