package io.grantry.resource;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Who a validated access token speaks for, as a route sees it ({@link #of}).
 *
 * @param subject {@code sub}: the user, or the client itself for client_credentials
 * @param clientId {@code client_id}: the client the token was issued to
 * @param scopes the token's scopes
 * @param claims every claim (JWT) or every member of the introspection answer (opaque), a copy
 * @param dpopJkt the RFC 7638 thumbprint of the key the token is bound to ({@code cnf.jkt}), for a
 *     DPoP-bound token whose proof this request carried
 */
public record TokenPrincipal(
    String subject,
    String clientId,
    Set<String> scopes,
    JsonObject claims,
    Optional<String> dpopJkt) {

  static final String KEY = "grantry.resource.principal";

  public TokenPrincipal {
    scopes = Set.copyOf(scopes);
    claims = claims.copy();
  }

  @Override
  public JsonObject claims() {
    return claims.copy();
  }

  /** The principal the kit's handler put on this request (empty before it or without it). */
  public static Optional<TokenPrincipal> of(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY));
  }

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  /** From claims in RFC 9068 / RFC 7662 form ({@code scope} space-separated). */
  static TokenPrincipal fromClaims(JsonObject claims) {
    String scope = claims.getValue("scope") instanceof String s ? s : "";
    Set<String> scopes = new LinkedHashSet<>(Arrays.asList(scope.trim().split(" +")));
    scopes.remove("");
    JsonObject cnf = claims.getValue("cnf") instanceof JsonObject c ? c : null;
    Optional<String> jkt =
        Optional.ofNullable(
            cnf == null ? null : cnf.getValue("jkt") instanceof String j ? j : null);
    return new TokenPrincipal(
        claims.getValue("sub") instanceof String s ? s : null,
        claims.getValue("client_id") instanceof String c ? c : null,
        scopes,
        claims,
        jkt);
  }

  /** Without the raw token and anything secret: sub, client_id and scope. */
  @Override
  public String toString() {
    return "TokenPrincipal[sub=" + subject + ", client_id=" + clientId + ", scope=" + scopes + "]";
  }
}
