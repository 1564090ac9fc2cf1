package io.grantry.server.authorize;

import io.grantry.domain.authorize.Parameters;
import io.grantry.server.browser.SignedParameters;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The pending authorization request that travels in the hidden field of the sign-in and consent
 * forms ({@link SignedParameters}): the request's parameters as the client sent them, checked again
 * at every step against the client's registration as it is then, and one fact the flow needs from
 * earlier steps: the session that signed in during this flow ({@code prompt=login}), and whether
 * the parameters came from a pushed request (RFC 9126: its {@code request_uri} is spent at the
 * first step, so the parameters it stood for travel on instead, and a client that must push is
 * still served at the later steps).
 */
final class PendingRequests {
  static final Duration LIFETIME = Duration.ofMinutes(15);

  private final SignedParameters signed;

  /** What a form brings back. */
  record Pending(
      Parameters params, Optional<String> freshSession, boolean pushed, Optional<String> shownTo) {}

  PendingRequests(byte[] serverSecret, Clock clock) {
    this.signed = new SignedParameters(serverSecret, "authorization-request/v2", LIFETIME, clock);
  }

  String seal(Parameters params, Optional<String> freshSession, boolean pushed) {
    return seal(params, freshSession, pushed, Optional.empty());
  }

  /**
   * {@code shownTo}: the session the consent page was shown to, the one its "Not you? Switch
   * account" form may end (and no other: a form replayed after someone else signed in ends
   * nothing).
   */
  String seal(
      Parameters params, Optional<String> freshSession, boolean pushed, Optional<String> shownTo) {
    JsonObject facts = new JsonObject();
    shownTo.ifPresent(s -> facts.put("shown", s));
    freshSession.ifPresent(s -> facts.put("fresh", s));
    if (pushed) {
      facts.put("pushed", true);
    }
    return signed.seal(params, facts);
  }

  /** The pending request when the value is ours and not older than {@link #LIFETIME}. */
  Optional<Pending> open(String value) {
    return signed
        .open(value)
        .map(
            o ->
                new Pending(
                    o.params(),
                    Optional.ofNullable(o.facts().getString("fresh")),
                    o.facts().getBoolean("pushed", false),
                    Optional.ofNullable(o.facts().getString("shown"))));
  }
}
