package io.grantry.domain.authorize;

import java.time.Instant;
import java.util.Objects;

/**
 * What happened to a pushed authorization request (RFC 9126): one stream per request, {@code
 * par:<SHA-256 of its request_uri>}, so that an auditor sees what a client asked for and when it
 * was used, and never the {@code request_uri} itself (whoever holds it may start the flow).
 */
public sealed interface PushedRequestEvent
    permits PushedRequestEvent.Pushed, PushedRequestEvent.Used {

  String clientId();

  String type();

  /**
   * The client pushed the parameters of an authorization request (RFC 9126 §2.1) and got a {@code
   * request_uri} for them.
   *
   * @param requestUriHash SHA-256 of the {@code request_uri}, base64url
   * @param parameters the request's parameters as the client sent them, less its credentials
   *     ({@code client_secret}, {@code client_assertion}): what the flow will check again at every
   *     step
   * @param expiresAt the {@code request_uri} is refused from then on (exclusive)
   */
  record Pushed(
      String clientId,
      String requestUriHash,
      Parameters parameters,
      Instant pushedAt,
      Instant expiresAt)
      implements PushedRequestEvent {
    public static final String TYPE = "authorization.request_pushed.v1";

    public Pushed {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestUriHash, "requestUriHash");
      Objects.requireNonNull(parameters, "parameters");
      Objects.requireNonNull(pushedAt, "pushedAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * The {@code request_uri} was presented at the authorization endpoint by its client: the flow
   * goes on with the pushed parameters, and the {@code request_uri} is spent (RFC 9126 §4).
   */
  record Used(String clientId, Instant usedAt) implements PushedRequestEvent {
    public static final String TYPE = "authorization.request_uri_used.v1";

    public Used {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(usedAt, "usedAt");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }
}
