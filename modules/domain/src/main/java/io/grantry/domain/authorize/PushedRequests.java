package io.grantry.domain.authorize;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Pushed authorization requests (RFC 9126) as a small aggregate: a request is pushed once, and its
 * {@code request_uri} is used at most once, by the client that pushed it, before it expires (§4,
 * §7.3). Pure: the caller passes the clock's {@code now}, and the {@code request_uri} is made
 * outside.
 *
 * <p>The {@code request_uri} is {@value #REQUEST_URI_PREFIX} followed by 256 random bits; the
 * ledger keeps only its SHA-256, which is also the stream's name, so presenting one finds its
 * stream without a lookup and the ledger alone never lets anyone start a flow.
 */
public final class PushedRequests {
  /** RFC 9126 §2.2. */
  public static final String REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";

  public static final String STREAM_PREFIX = "par:";

  /** Longest lifetime of a {@code request_uri} (RFC 9126 §2.2: short; FAPI 2.0: under 600 s). */
  public static final Duration MAX_LIFETIME = Duration.ofSeconds(600);

  /**
   * Parameters a pushed request carries that are the client's credentials, not the request's: never
   * recorded.
   */
  public static final Set<String> CREDENTIALS =
      Set.of("client_secret", "client_assertion", "client_assertion_type");

  private PushedRequests() {}

  /** A pushed request as its events leave it. */
  public sealed interface State {}

  /** Nothing was pushed under this {@code request_uri}. */
  public record None() implements State {}

  /** Pushed and not used yet. */
  public record Pending(PushedRequestEvent.Pushed pushed) implements State {}

  /** Used: the {@code request_uri} is spent. */
  public record Spent(PushedRequestEvent.Pushed pushed, Instant usedAt) implements State {}

  public static State initial() {
    return new None();
  }

  /** The stream of the request pushed under {@code requestUri}. */
  public static String streamId(String requestUri) {
    return STREAM_PREFIX + GrantTokens.hash(requestUri);
  }

  /** True if {@code value} has the shape of a {@code request_uri} this server hands out. */
  public static boolean isRequestUri(String value) {
    return value != null
        && value.startsWith(REQUEST_URI_PREFIX)
        && value.length() == REQUEST_URI_PREFIX.length() + 43
        && value.substring(REQUEST_URI_PREFIX.length()).chars().allMatch(PushedRequests::b64url);
  }

  private static boolean b64url(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }

  /**
   * Records a request pushed by {@code clientId} whose parameters already passed {@link
   * AuthorizationRequestChecks} (the endpoint checks them against the client first and answers
   * their errors as JSON).
   */
  public static Decision<PushedRequestEvent> push(
      State state,
      String clientId,
      String requestUri,
      Parameters parameters,
      Duration lifetime,
      Instant now) {
    Objects.requireNonNull(parameters, "parameters");
    if (!isRequestUri(requestUri)) {
      throw new IllegalArgumentException("not a request_uri of ours");
    }
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
      return Decision.reject(
          new DomainError.ValidationError(
              "expires_in", "a request_uri lives 1 to " + MAX_LIFETIME.toSeconds() + " seconds"));
    }
    for (String name : parameters.values().keySet()) {
      if (CREDENTIALS.contains(name)) {
        throw new IllegalArgumentException("the client's credentials are never recorded");
      }
    }
    if (!(state instanceof None)) {
      return Decision.reject(new DomainError.AlreadyExists("pushed request", "request_uri"));
    }
    return Decision.accept(
        new PushedRequestEvent.Pushed(
            clientId, GrantTokens.hash(requestUri), parameters, now, now.plus(lifetime)));
  }

  /**
   * The {@code request_uri} is presented at the authorization endpoint with {@code clientId}: its
   * parameters, once, for the client that pushed them, before it expires (RFC 9126 §4). Every
   * refusal is {@code invalid_request_uri} and says nothing of which rule failed to anyone but the
   * page's reader.
   */
  public static Decision<PushedRequestEvent> use(State state, String clientId, Instant now) {
    if (state instanceof None) {
      return refuse("the request_uri is not known");
    }
    if (state instanceof Spent) {
      return refuse("the request_uri was used already");
    }
    PushedRequestEvent.Pushed pushed = ((Pending) state).pushed();
    if (!pushed.clientId().equals(clientId)) {
      return refuse("the request_uri was pushed by another client");
    }
    if (!now.isBefore(pushed.expiresAt())) {
      return refuse("the request_uri has expired");
    }
    return Decision.accept(new PushedRequestEvent.Used(clientId, now));
  }

  /** The pushed parameters of a request just used; empty for any other state. */
  public static Optional<Parameters> parameters(State state) {
    return state instanceof Spent s ? Optional.of(s.pushed().parameters()) : Optional.empty();
  }

  private static Decision<PushedRequestEvent> refuse(String why) {
    return Decision.reject(
        new DomainError.OAuth(
            OAuthError.of(OAuthError.Code.INVALID_REQUEST_URI, why).notRedirectable()));
  }

  public static State evolve(State state, PushedRequestEvent event) {
    if (event instanceof PushedRequestEvent.Pushed p) {
      if (!(state instanceof None)) {
        throw new IllegalStateException("corrupt pushed request stream: pushed twice");
      }
      return new Pending(p);
    }
    PushedRequestEvent.Used u = (PushedRequestEvent.Used) event;
    if (!(state instanceof Pending pending)) {
      throw new IllegalStateException(
          "corrupt pushed request stream: used before pushed, or twice");
    }
    return new Spent(pending.pushed(), u.usedAt());
  }
}
