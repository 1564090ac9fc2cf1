package io.grantry.server.token;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.clients.ClientAssertions;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.TrustedProxies;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.ThrottleMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Client authentication at the token, pushed authorization, revocation and introspection endpoints
 * (RFC 6749 §2.3): {@code client_secret_basic}, {@code client_secret_post}, a signed JWT ({@code
 * private_key_jwt} or {@code client_secret_jwt}, RFC 7523 §2.2, checked by {@link
 * ClientAssertions}), or {@code none} for public clients. A client must use the method it
 * registered; using two methods at once is refused. Every failure looks the same from outside
 * ({@code invalid_client}).
 */
public final class ClientAuthenticator {
  private final ClientDirectory clients;
  private final ClientAssertions assertions;
  private final ClientAuthThrottle throttle;
  private final Counter refused;

  /**
   * The endpoints' authenticator: the process's clients, assertion checks and {@link
   * ClientAuthThrottle}, its refusals counted in the services' registry.
   */
  public static ClientAuthenticator of(OAuthServices services) {
    return new ClientAuthenticator(
        services.clients, services.clientAssertions, services.clientThrottle, services.registry);
  }

  /** Without a throttle (tests of the methods themselves). */
  public ClientAuthenticator(ClientDirectory clients, ClientAssertions assertions) {
    this.clients = clients;
    this.assertions = assertions;
    this.throttle = null;
    this.refused = null;
  }

  /**
   * With the process's {@link ClientAuthThrottle}: failed authentications slow down and then refuse
   * further ones.
   */
  public ClientAuthenticator(
      ClientDirectory clients,
      ClientAssertions assertions,
      ClientAuthThrottle throttle,
      MeterRegistry registry) {
    this.clients = clients;
    this.assertions = assertions;
    this.throttle = throttle;
    this.refused = ThrottleMetrics.refused(registry);
  }

  /** Who the caller is, or why not. */
  public record Result(ClientState.Registered client, OAuthError error) {
    public boolean ok() {
      return client != null;
    }
  }

  /**
   * {@link #authenticate} for an endpoint that answers a failed authentication with its OAuth error
   * and goes on only with an authenticated client ({@code next}); an internal failure goes to the
   * router's failure handler.
   */
  public void then(RoutingContext ctx, MultiMap form, Consumer<ClientState.Registered> next) {
    authenticate(ctx, form)
        .onFailure(ctx::fail)
        .onSuccess(
            auth -> {
              if (!auth.ok()) {
                OAuthResponses.error(ctx, auth.error());
                return;
              }
              next.accept(auth.client());
            });
  }

  /**
   * Authenticates the caller, throttled per claimed client id and per source address ({@link
   * ClientAuthThrottle}): a claimed client id past its allowance waits first; from an address past
   * its allowance the credentials pass the address's gate, a correct one is answered as usual, and
   * a wrong one (or one that found the gate full, unchecked) is answered here with 429 and {@code
   * Retry-After}, after the address's delay; the result is then a failure whose answer is a no-op
   * (the response has ended).
   */
  public Future<Result> authenticate(RoutingContext ctx, MultiMap form) {
    if (throttle == null) {
      return check(ctx, form);
    }
    String address = TrustedProxies.clientAddress(ctx);
    ClientAuthThrottle.Claim claimed = claim(ctx, form, address);
    ClientAuthThrottle.Decision decision = throttle.check(claimed, address);
    Future<Void> wait =
        decision.delayMillis() == 0
            ? Future.succeededFuture()
            : ctx.vertx().timer(decision.delayMillis()).mapEmpty();
    if (!decision.addressPenalized()) {
      return wait.compose(v -> check(ctx, form)).onSuccess(r -> record(r, claimed, address));
    }
    return wait.compose(v -> throttle.enter(ctx.vertx(), address))
        .compose(
            permit -> {
              if (permit == null) {
                // The gate is full: a flood from this address. Refused unchecked, so that the
                // flood learns nothing from it.
                return Future.succeededFuture(tooMany(ctx, 1));
              }
              if (ctx.response().ended()) {
                permit.release(); // answered meanwhile (the request deadline)
                return Future.succeededFuture(THROTTLED);
              }
              return check(ctx, form)
                  .onFailure(err -> permit.release())
                  .compose(
                      r -> {
                        record(r, claimed, address);
                        if (r.ok() || r.error().code() != OAuthError.Code.INVALID_CLIENT) {
                          permit.release();
                          return Future.succeededFuture(r);
                        }
                        long penalty = throttle.penaltyMillis(address);
                        Future<Void> held =
                            penalty == 0
                                ? Future.succeededFuture()
                                : ctx.vertx().timer(penalty).mapEmpty();
                        return held.map(
                            v -> {
                              permit.release();
                              return tooMany(ctx, throttle.retryAfterSeconds(address));
                            });
                      });
            });
  }

  private static final Result THROTTLED = new Result(null, OAuthError.invalidClient("throttled"));

  private void record(Result r, ClientAuthThrottle.Claim claimed, String address) {
    if (r.ok()) {
      throttle.succeeded(claimed);
    } else if (r.error().code() == OAuthError.Code.INVALID_CLIENT) {
      throttle.failed(claimed, address);
    }
  }

  /** 429 for an address past its allowance; the result's own answer is then a no-op. */
  private Result tooMany(RoutingContext ctx, long retryAfterSeconds) {
    refused.increment();
    ctx.response().putHeader("Retry-After", String.valueOf(retryAfterSeconds));
    OAuthResponses.json(
        ctx,
        429,
        new JsonObject()
            .put("error", "invalid_client")
            .put(
                "error_description",
                "too many failed client authentications from this address; retry later"));
    return THROTTLED;
  }

  /**
   * The client the request names (Basic credentials, an assertion's {@code iss} with the address,
   * or the form), checked or not; null if none.
   */
  private static ClientAuthThrottle.Claim claim(RoutingContext ctx, MultiMap form, String address) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return ClientAuthThrottle.Claim.clientId(
          decodeBasic(header.substring(6).trim()).map(c -> c[0]).orElse(null));
    }
    String assertion = form.get("client_assertion");
    if (assertion != null) {
      return ClientAuthThrottle.Claim.assertion(
          ClientAssertions.claimedClientId(assertion), address);
    }
    String id = form.get("client_id");
    return ClientAuthThrottle.Claim.clientId(
        id == null || id.isEmpty() || id.length() > 256 ? null : id);
  }

  private Future<Result> check(RoutingContext ctx, MultiMap form) {
    String header = ctx.request().getHeader("Authorization");
    boolean basic = header != null && header.regionMatches(true, 0, "Basic ", 0, 6);
    if (header != null && !basic) {
      return fail("unsupported Authorization scheme");
    }
    if (form.getAll("client_id").size() > 1 || form.getAll("client_secret").size() > 1) {
      return Future.succeededFuture(
          new Result(null, OAuthError.invalidRequest("client_id or client_secret is repeated")));
    }
    String formId = form.get("client_id");
    String formSecret = form.get("client_secret");
    if (form.contains("client_assertion") || form.contains("client_assertion_type")) {
      return assertion(ctx, form, basic, formId, formSecret);
    }
    if (basic) {
      if (formSecret != null) {
        return Future.succeededFuture(
            new Result(
                null, OAuthError.invalidRequest("use one client authentication method, not two")));
      }
      Optional<String[]> creds = decodeBasic(header.substring(6).trim());
      if (creds.isEmpty()) {
        return fail("malformed Basic credentials");
      }
      String id = creds.get()[0];
      if (formId != null && !formId.equals(id)) {
        return fail("client_id does not match the credentials");
      }
      return secret(id, creds.get()[1], TokenEndpointAuthMethod.CLIENT_SECRET_BASIC);
    }
    if (formId == null || formId.isEmpty()) {
      return fail("the client did not authenticate");
    }
    if (formSecret != null) {
      return secret(formId, formSecret, TokenEndpointAuthMethod.CLIENT_SECRET_POST);
    }
    return clients
        .find(formId)
        .map(
            found -> {
              if (found.isPresent()
                  && !found.get().disabled()
                  && found.get().metadata().tokenEndpointAuthMethod()
                      == TokenEndpointAuthMethod.NONE) {
                return new Result(found.get(), null);
              }
              return new Result(null, OAuthError.invalidClient("client authentication failed"));
            });
  }

  /** RFC 7523 §2.2: {@code client_assertion_type} and {@code client_assertion}, nothing else. */
  private Future<Result> assertion(
      RoutingContext ctx, MultiMap form, boolean basic, String formId, String formSecret) {
    if (form.getAll("client_assertion").size() > 1
        || form.getAll("client_assertion_type").size() > 1) {
      return Future.succeededFuture(
          new Result(null, OAuthError.invalidRequest("client_assertion is repeated")));
    }
    if (basic || formSecret != null) {
      return Future.succeededFuture(
          new Result(
              null, OAuthError.invalidRequest("use one client authentication method, not two")));
    }
    String type = form.get("client_assertion_type");
    String assertion = form.get("client_assertion");
    if (!ClientAssertions.JWT_BEARER.equals(type) || assertion == null) {
      return fail("unsupported client_assertion_type or no client_assertion");
    }
    return assertions
        .authenticate(assertion, formId, ctx.request().path())
        .map(
            outcome ->
                outcome.ok()
                    ? new Result(outcome.client(), null)
                    : new Result(null, OAuthError.invalidClient("client authentication failed")));
  }

  private Future<Result> secret(String id, String secret, TokenEndpointAuthMethod used) {
    return clients
        .authenticate(id, secret)
        .map(
            found -> {
              if (found.isPresent()
                  && !found.get().disabled()
                  && found.get().metadata().tokenEndpointAuthMethod() == used) {
                return new Result(found.get(), null);
              }
              return new Result(null, OAuthError.invalidClient("client authentication failed"));
            });
  }

  /** Every failure answers alike; {@code why} is for the reader of this code only. */
  private static Future<Result> fail(String why) {
    return Future.succeededFuture(
        new Result(null, OAuthError.invalidClient("client authentication failed")));
  }

  /**
   * RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined with ':' and
   * base64-encoded.
   */
  static Optional<String[]> decodeBasic(String b64) {
    try {
      String raw = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
      int colon = raw.indexOf(':');
      if (colon <= 0) {
        return Optional.empty();
      }
      String id = URLDecoder.decode(raw.substring(0, colon), StandardCharsets.UTF_8);
      String secret = URLDecoder.decode(raw.substring(colon + 1), StandardCharsets.UTF_8);
      return id.isEmpty() || id.length() > 256 || secret.length() > 512
          ? Optional.empty()
          : Optional.of(new String[] {id, secret});
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
