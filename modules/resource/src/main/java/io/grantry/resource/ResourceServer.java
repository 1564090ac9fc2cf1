package io.grantry.resource;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Grantry's resource-server kit for Vert.x Web: validates the access tokens an API receives and
 * checks each route's scopes.
 *
 * <pre>{@code
 * ResourceServer.create(vertx, new ResourceServerOptions(issuer, audience))
 *     .onSuccess(kit -> router.get("/notes").handler(kit.require("notes:read")).handler(...));
 * }</pre>
 *
 * <p>At {@link #create} it reads the issuer's discovery document ({@code
 * /.well-known/openid-configuration}, whose {@code issuer} must be the configured one exactly, RFC
 * 8414 §3.3) and its JWKS. A route's handler then takes the token from {@code Authorization:
 * Bearer} or {@code Authorization: DPoP} (RFC 6750 §2.1, RFC 9449 §7.1), validates it ({@link
 * #verify}), checks a DPoP-bound token's proof, and the route's scopes, and puts the {@link
 * TokenPrincipal} on the request. A refusal is RFC 6750 §3's: 401 with {@code WWW-Authenticate} and
 * {@code invalid_token} (or {@code invalid_dpop_proof}, RFC 9449 §7.1), 403 {@code
 * insufficient_scope} naming the scopes needed. With {@link ResourceServerOptions#setDpopNonces} a
 * proof must carry a nonce the API gave out ({@code use_dpop_nonce} and {@code DPoP-Nonce}
 * otherwise, RFC 9449 §9); with {@link ResourceServerOptions#setPublicUrl} a proof's {@code htu} is
 * checked against the URL clients call behind a proxy. Nothing here blocks: fetches are
 * asynchronous and bounded ({@link ResourceServerOptions}), and verifying a signature is a few tens
 * of microseconds of CPU.
 *
 * <p>Revocation: a JWT access token is validated offline, so one revoked at the issuer stays
 * accepted here until its {@code exp} (keep access tokens short, or issue opaque ones to clients
 * whose revocation must take effect at once). An opaque token is introspected: revoked, it is
 * refused at its next introspection, at once if its answer is not cached, within the introspection
 * cache's TTL if it is.
 */
public final class ResourceServer {
  private static final String NONCE = "DPoP-Nonce";
  private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

  private final DocumentFetcher fetcher;
  private final AccessTokenVerifier verifier;
  private final DpopProofs proofs;
  private final Optional<String> publicUrl;
  private final String dpopAlgs;

  private ResourceServer(
      DocumentFetcher fetcher,
      AccessTokenVerifier verifier,
      DpopProofs proofs,
      Optional<String> publicUrl) {
    this.fetcher = fetcher;
    this.verifier = verifier;
    this.proofs = proofs;
    this.publicUrl = publicUrl;
    this.dpopAlgs = String.join(" ", DpopProofs.ALGORITHMS);
  }

  /** Reads the issuer's discovery document and keys; fails if either cannot be had. */
  public static Future<ResourceServer> create(Vertx vertx, ResourceServerOptions options) {
    DocumentFetcher fetcher = new DocumentFetcher(vertx, options);
    String issuer = options.issuer();
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    return fetcher
        .get(base + "/.well-known/openid-configuration")
        .compose(
            discovery -> {
              if (!issuer.equals(discovery.getValue("issuer"))) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "the discovery document of " + issuer + " names another issuer"));
              }
              if (!(discovery.getValue("jwks_uri") instanceof String jwksUri)) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "the discovery document of " + issuer + " has no jwks_uri"));
              }
              Introspection introspection = null;
              if (options.clientId().isPresent()) {
                if (!(discovery.getValue("introspection_endpoint") instanceof String endpoint)) {
                  return Future.failedFuture(
                      new IllegalStateException(
                          issuer + " has no introspection_endpoint for the client configured"));
                }
                introspection = new Introspection(fetcher, endpoint, options);
              }
              Introspection i = introspection;
              return IssuerKeys.load(vertx, fetcher, jwksUri, options)
                  .map(
                      keys ->
                          new ResourceServer(
                              fetcher,
                              new AccessTokenVerifier(keys, i, options.algorithms()),
                              new DpopProofs(options),
                              options.publicUrl()));
            })
        .onFailure(e -> fetcher.close());
  }

  /**
   * Validates {@code token} (no route, no DPoP proof: for APIs that are not Vert.x Web routes, and
   * for measuring). Fails with an {@link InvalidTokenException}.
   */
  public Future<TokenPrincipal> verify(String token) {
    return verifier.verify(token).map(TokenPrincipal::fromClaims);
  }

  /**
   * A handler that lets a request through only with a valid access token holding every one of
   * {@code scopes}; the route's next handler finds the principal with {@link TokenPrincipal#of}.
   */
  public Handler<RoutingContext> require(String... scopes) {
    Set<String> needed = new LinkedHashSet<>(List.of(scopes));
    needed.forEach(s -> Objects.requireNonNull(s, "scope"));
    return ctx -> handle(ctx, needed);
  }

  private void handle(RoutingContext ctx, Set<String> needed) {
    List<String> authorization = ctx.request().headers().getAll("Authorization");
    if (authorization.size() != 1) {
      challenge(ctx, 401, null, null, null);
      return;
    }
    String value = authorization.get(0);
    int space = value.indexOf(' ');
    String scheme = space < 0 ? value : value.substring(0, space);
    boolean dpop = scheme.equalsIgnoreCase("DPoP");
    if (space < 0 || !(dpop || scheme.equalsIgnoreCase("Bearer"))) {
      challenge(ctx, 401, null, null, null);
      return;
    }
    String schemeName = dpop ? "DPoP" : "Bearer";
    String token = value.substring(space + 1).strip();
    if (!B64TOKEN.matcher(token).matches()) {
      challenge(ctx, 401, schemeName, "invalid_token", "the token is malformed");
      return;
    }
    verify(token)
        .onFailure(
            e -> {
              if (e instanceof InvalidTokenException invalid) {
                challenge(ctx, 401, schemeName, invalid.error(), invalid.getMessage());
              } else {
                // The issuer could not be asked (introspection): not the client's fault, and the
                // token may well be valid. No detail: it would describe our network to a client.
                unavailable(ctx, 5, "the token could not be checked; try again");
              }
            })
        .onSuccess(
            principal -> {
              try {
                checkBinding(ctx, dpop, token, principal);
              } catch (InvalidTokenException invalid) {
                challenge(ctx, 401, schemeName, invalid.error(), invalid.getMessage());
                return;
              } catch (DpopProofs.ReplayCacheFull full) {
                unavailable(ctx, full.retryAfterSeconds(), "too many DPoP proofs; try again");
                return;
              } catch (RuntimeException bug) {
                // No request is left unanswered, whatever the kit did not foresee.
                System.getLogger(ResourceServer.class.getName())
                    .log(System.Logger.Level.ERROR, "checking a DPoP-bound token failed", bug);
                ctx.response()
                    .setStatusCode(500)
                    .putHeader("Cache-Control", "no-store")
                    .putHeader("Content-Type", "application/json")
                    .end(
                        new JsonObject()
                            .put("error", "server_error")
                            .put("error_description", "the token could not be checked")
                            .encode());
                return;
              }
              if (dpop) {
                proofs.currentNonce().ifPresent(n -> ctx.response().putHeader(NONCE, n));
              }
              if (!principal.scopes().containsAll(needed)) {
                challenge(
                    ctx,
                    403,
                    schemeName,
                    "insufficient_scope",
                    "the token lacks a scope this route needs",
                    String.join(" ", needed));
                return;
              }
              ctx.put(TokenPrincipal.KEY, principal);
              ctx.next();
            });
  }

  /** RFC 9449 §7.1: a bound token only with its proof; an unbound one only as Bearer. */
  private void checkBinding(RoutingContext ctx, boolean dpop, String token, TokenPrincipal p) {
    if (p.dpopJkt().isEmpty()) {
      if (dpop) {
        throw InvalidTokenException.invalidToken("the token is not DPoP-bound: send it as Bearer");
      }
      return;
    }
    if (!dpop) {
      throw InvalidTokenException.invalidToken(
          "the token is DPoP-bound: send it with Authorization: DPoP and a DPoP proof");
    }
    List<String> proof = ctx.request().headers().getAll("DPoP");
    if (proof.size() != 1) {
      throw InvalidTokenException.invalidProof("exactly one DPoP proof header is needed");
    }
    // The URL the client called: behind a proxy, the configured public one and this path; else the
    // request's own (its Host header; forwarded headers only if the application's router allows
    // them, Router.allowForward).
    String uri =
        publicUrl.map(base -> base + ctx.request().path()).orElseGet(ctx.request()::absoluteURI);
    proofs.check(proof.get(0), ctx.request().method().name(), uri, token, p.dpopJkt().get());
  }

  /** 503 {@code temporarily_unavailable}: not the client's fault, worth a retry after a while. */
  private static void unavailable(RoutingContext ctx, long retryAfterSeconds, String description) {
    ctx.response()
        .setStatusCode(503)
        .putHeader("Cache-Control", "no-store")
        .putHeader("Retry-After", Long.toString(retryAfterSeconds))
        .putHeader("Content-Type", "application/json")
        .end(
            new JsonObject()
                .put("error", "temporarily_unavailable")
                .put("error_description", description)
                .encode());
  }

  private void challenge(
      RoutingContext ctx, int status, String scheme, String error, String description) {
    challenge(ctx, status, scheme, error, description, null);
  }

  /**
   * RFC 6750 §3: without a usable Authorization header, both challenges and no error code;
   * otherwise the challenge of the scheme used, with the error.
   */
  private void challenge(
      RoutingContext ctx,
      int status,
      String scheme,
      String error,
      String description,
      String scope) {
    var response = ctx.response().setStatusCode(status);
    response.putHeader("Cache-Control", "no-store");
    if (error == null || scheme.equals("DPoP")) {
      // RFC 9449 §9: the nonce to put in the next proof, wherever a DPoP proof may be needed.
      proofs.currentNonce().ifPresent(n -> response.putHeader(NONCE, n));
    }
    if (error == null) {
      response.headers().add("WWW-Authenticate", "Bearer");
      response.headers().add("WWW-Authenticate", "DPoP algs=\"" + dpopAlgs + "\"");
      response.end();
      return;
    }
    StringBuilder c = new StringBuilder(scheme);
    if (scheme.equals("DPoP")) {
      c.append(" algs=\"").append(dpopAlgs).append("\",");
    }
    c.append(" error=\"")
        .append(error)
        .append("\", error_description=\"")
        .append(description)
        .append('"');
    if (scope != null) {
      c.append(", scope=\"").append(scope).append('"');
    }
    response.putHeader("WWW-Authenticate", c.toString());
    JsonObject body = new JsonObject().put("error", error).put("error_description", description);
    if (scope != null) {
      body.put("scope", scope);
    }
    response.putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** Closes the HTTP client the kit fetches with. */
  public Future<Void> close() {
    return fetcher.close();
  }
}
