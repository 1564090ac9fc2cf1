package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientSecurity;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.DisableReason;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.LogoutMetadata;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /admin/clients}: register, list, show, replace, rotate the secret, disable. Bodies use the
 * RFC 7591 §2 metadata names; the body's shape is the OpenAPI router's to check, what the values
 * mean is {@code ClientDecider}'s.
 */
final class ClientResource {
  private final ClientService service;
  private final ClientDirectory directory;
  private final Duration defaultGrace;
  private final Clock clock;

  ClientResource(
      ClientService service, ClientDirectory directory, Duration defaultGrace, Clock clock) {
    this.service = service;
    this.directory = directory;
    this.defaultGrace = defaultGrace;
    this.clock = clock;
  }

  void create(RoutingContext ctx) {
    JsonObject body = AdminRequest.body(ctx);
    ClientMetadata metadata = metadata(body);
    Future<ClientService.Issued> issued =
        service.register(
            Optional.ofNullable(body.getString("client_id")), metadata, AdminRequest.metadata(ctx));
    AdminRequest.respond(ctx, tagged(ctx, issued), 201, this::json);
  }

  void list(RoutingContext ctx) {
    Page page = Page.of(ctx);
    AdminRequest.respond(
        ctx,
        directory.list(page.after(), page.fetch()),
        200,
        rows -> page.render(rows, this::json, ClientState.Registered::clientId));
  }

  /** {@code GET}: the client, and its version as the {@code ETag} a change's If-Match may name. */
  void show(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    AdminRequest.respond(
        ctx,
        directory
            .findVersioned(clientId)
            .compose(
                found ->
                    found
                        .map(Future::succeededFuture)
                        .orElseGet(
                            () ->
                                Future.failedFuture(
                                    new CommandRejected(
                                        new DomainError.NotFound("client", clientId)))))
            .map(
                v -> {
                  ctx.response().putHeader("ETag", ClientTags.of(clientId, v.version()));
                  return v.client();
                }),
        200,
        this::json);
  }

  /** The client a command left, with its new version as the {@code ETag}. */
  private static Future<ClientService.Issued> tagged(
      RoutingContext ctx, Future<ClientService.Issued> issued) {
    return issued.map(
        i -> {
          ctx.response().putHeader("ETag", ClientTags.of(i.client().clientId(), i.version()));
          return i;
        });
  }

  /**
   * {@code PUT}: the body replaces the metadata as a whole (an omitted field takes its default);
   * {@code disabled} false enables a disabled client, true disables it. With If-Match, only the
   * version it names is replaced.
   */
  void update(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    JsonObject body = AdminRequest.body(ctx);
    ClientMetadata metadata = metadata(body);
    AdminRequest.respond(
        ctx,
        tagged(
            ctx,
            service.change(
                clientId,
                current -> metadata,
                Optional.ofNullable(body.getBoolean("disabled")),
                ClientTags.ifMatch(ctx, clientId),
                AdminRequest.metadata(ctx))),
        200,
        this::json);
  }

  /**
   * {@code PATCH}: a JSON merge patch (RFC 7396) of the client as {@link #json} shows it: a field
   * sent replaces the current value, a field sent as null returns to its default, a field not sent
   * stays. Merged against the state the append is decided on, so two racing patches of different
   * fields both apply, unless If-Match names the version the patch was made for. {@code
   * response_types} follows {@code grant_types} unless sent.
   */
  void patch(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    JsonObject patch = AdminRequest.body(ctx);
    AdminRequest.respond(
        ctx,
        tagged(
            ctx,
            service.change(
                clientId,
                current -> metadata(merged(current, patch)),
                Optional.ofNullable(patch.getBoolean("disabled")),
                ClientTags.ifMatch(ctx, clientId),
                AdminRequest.metadata(ctx))),
        200,
        this::json);
  }

  /** The fields of {@link #json} that describe the client's registration, not its metadata. */
  private static final Set<String> NOT_METADATA =
      Set.of(
          "client_id",
          "disabled",
          "client_id_issued_at",
          "client_secret_expires_at",
          "previous_secret_valid_until",
          "response_types");

  private JsonObject merged(ClientMetadata current, JsonObject patch) {
    JsonObject body = metadataJson(current);
    NOT_METADATA.forEach(body::remove);
    for (String field : patch.fieldNames()) {
      if (field.equals("disabled")) {
        continue;
      }
      Object value = patch.getValue(field);
      if (value == null && field.equals("client_name")) {
        throw invalid("client_name", "client_name cannot be removed: a client needs a name");
      }
      if (value == null) {
        body.remove(field);
      } else {
        body.put(field, value);
      }
    }
    return body;
  }

  /**
   * Enables the client; {@code rotate_secret} gives it a new secret in the same append (the old one
   * ends at once), which a client disabled as compromised needs.
   */
  void enable(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    boolean rotate = AdminRequest.body(ctx).getBoolean("rotate_secret", false);
    AdminRequest.respond(
        ctx,
        tagged(
            ctx,
            service.enable(
                clientId, rotate, ClientTags.ifMatch(ctx, clientId), AdminRequest.metadata(ctx))),
        200,
        this::json);
  }

  void rotateSecret(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    Long seconds = AdminRequest.body(ctx).getLong("grace_seconds");
    Duration grace = seconds == null ? defaultGrace : Duration.ofSeconds(seconds);
    AdminRequest.respond(
        ctx,
        tagged(ctx, service.rotateSecret(clientId, grace, AdminRequest.metadata(ctx))),
        200,
        this::json);
  }

  /** Disables the client, for the body's {@code reason} if it gives one. */
  void disable(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    Optional<DisableReason> reason =
        Optional.ofNullable(AdminRequest.body(ctx).getString("reason"))
            .map(
                r ->
                    DisableReason.fromWire(r)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "reason",
                                    "reason must be compromised, maintenance, retired or other")));
    AdminRequest.respond(
        ctx,
        tagged(
            ctx,
            service.disable(
                clientId, reason, ClientTags.ifMatch(ctx, clientId), AdminRequest.metadata(ctx))),
        200,
        this::json);
  }

  /**
   * Client metadata from a request body, with the RFC 7591 §2 defaults: the type follows the
   * authentication method ({@code none} is public), {@code client_secret_basic} for a confidential
   * client, grant {@code authorization_code} with response type {@code code}, and scope {@code
   * openid} for clients that can ask for an id_token.
   */
  static ClientMetadata metadata(JsonObject body) {
    Optional<TokenEndpointAuthMethod> method =
        Optional.ofNullable(body.getString("token_endpoint_auth_method"))
            .map(
                m ->
                    TokenEndpointAuthMethod.fromWire(m)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "token_endpoint_auth_method",
                                    "token_endpoint_auth_method must be client_secret_basic,"
                                        + " client_secret_post, client_secret_jwt,"
                                        + " private_key_jwt or none")));
    ClientType type =
        Optional.ofNullable(body.getString("client_type"))
            .map(
                t ->
                    ClientType.fromWire(t)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "client_type", "client_type must be confidential or public")))
            .orElseGet(
                () ->
                    method.orElse(TokenEndpointAuthMethod.CLIENT_SECRET_BASIC)
                            == TokenEndpointAuthMethod.NONE
                        ? ClientType.PUBLIC
                        : ClientType.CONFIDENTIAL);
    Set<GrantType> grants = EnumSet.noneOf(GrantType.class);
    for (String g : strings(body, "grant_types", List.of(GrantType.AUTHORIZATION_CODE.wire()))) {
      grants.add(
          GrantType.fromWire(g)
              .orElseThrow(
                  () -> invalid("grant_types", "grant_types has the unknown value '" + g + "'")));
    }
    boolean code = grants.contains(GrantType.AUTHORIZATION_CODE);
    List<String> responseTypes =
        strings(body, "response_types", code ? List.of("code") : List.of());
    if (responseTypes.contains("code") != code) {
      throw invalid(
          "response_types",
          "response_types must be [\"code\"] exactly when grant_types includes"
              + " authorization_code (RFC 7591 §2.1)");
    }
    Scopes scope;
    try {
      scope =
          body.containsKey("scope")
              ? Scopes.parse(body.getString("scope"))
              : code ? Scopes.of(Scopes.OPENID) : Scopes.empty();
    } catch (IllegalArgumentException e) {
      throw invalid("scope", "scope: " + e.getMessage());
    }
    ClientMetadata.Builder b =
        ClientMetadata.builder(body.getString("client_name"), type)
            .redirectUris(strings(body, "redirect_uris", List.of()))
            .grantTypes(grants)
            .allowedScopes(scope)
            .logoUri(body.getString("logo_uri"))
            .clientUri(body.getString("client_uri"))
            .skipConsent(body.getBoolean("skip_consent", false))
            .introspect(body.getBoolean("introspect", false));
    method.ifPresent(b::tokenEndpointAuthMethod);
    Optional.ofNullable(body.getString("access_token_format"))
        .ifPresent(
            f ->
                b.accessTokenFormat(
                    AccessTokenFormat.fromWire(f)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "access_token_format",
                                    "access_token_format must be jwt or opaque"))));
    Optional.ofNullable(body.getString("access_token_signing_alg"))
        .ifPresent(
            a ->
                b.accessTokenSigningAlg(
                    SigningAlgorithm.fromWire(a)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "access_token_signing_alg",
                                    "access_token_signing_alg must be ES256 or RS256"))));
    Optional.ofNullable(body.getString("id_token_signed_response_alg"))
        .ifPresent(
            a ->
                b.idTokenSignedResponseAlg(
                    SigningAlgorithm.fromWire(a)
                        .orElseThrow(
                            () ->
                                invalid(
                                    "id_token_signed_response_alg",
                                    "id_token_signed_response_alg must be RS256 or ES256"))));
    b.logout(
        new LogoutMetadata(
            strings(body, "post_logout_redirect_uris", List.of()),
            Optional.ofNullable(body.getString("backchannel_logout_uri")),
            body.getBoolean("backchannel_logout_session_required", false)));
    b.tokenExchange(
        new TokenExchangeMetadata(
            strings(body, "token_exchange_audiences", List.of()),
            body.getBoolean("token_exchange_allow_impersonation", false),
            body.getBoolean("token_exchange_allow_refresh_token", false)));
    b.security(
        new ClientSecurity(
            body.getBoolean("require_pushed_authorization_requests", false),
            Optional.ofNullable(body.getJsonObject("jwks")).map(JsonObject::encode),
            Optional.ofNullable(body.getString("jwks_uri")),
            Optional.ofNullable(body.getString("token_endpoint_auth_signing_alg"))
                .map(
                    a ->
                        JwsAlgorithm.fromWire(a)
                            .orElseThrow(
                                () ->
                                    invalid(
                                        "token_endpoint_auth_signing_alg",
                                        "token_endpoint_auth_signing_alg must be ES256, RS256,"
                                            + " PS256, EdDSA or HS256"))),
            body.getBoolean("dpop_bound_access_tokens", false),
            profile(body.getValue("profile"))));
    return b.build();
  }

  /** {@code profile}: absent, or {@code fapi2} (FAPI 2.0 Security Profile). */
  private static boolean profile(Object value) {
    if (value == null) {
      return false;
    }
    if (!ClientSecurity.FAPI2.equals(value)) {
      throw invalid("profile", "profile must be fapi2 (the FAPI 2.0 Security Profile) or absent");
    }
    return true;
  }

  private static List<String> strings(JsonObject body, String field, List<String> dflt) {
    JsonArray array = body.getJsonArray(field);
    if (array == null) {
      return dflt;
    }
    List<String> out = new ArrayList<>(array.size());
    for (Object o : array) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  private static CommandRejected invalid(String field, String message) {
    return new CommandRejected(new ValidationError(field, message));
  }

  private JsonObject json(ClientService.Issued issued) {
    JsonObject json = json(issued.client());
    issued.clientSecret().ifPresent(s -> json.put("client_secret", s));
    return json;
  }

  /**
   * A client as the admin API shows it: the RFC 7591 §3.2.1 response fields, and no secret hash.
   */
  JsonObject json(ClientState.Registered c) {
    JsonObject json =
        new JsonObject().put("client_id", c.clientId()).mergeIn(metadataJson(c.metadata()));
    json.put("disabled", c.disabled())
        .put("client_id_issued_at", c.registeredAt().getEpochSecond());
    c.disabledReason().ifPresent(r -> json.put("disabled_reason", r.wire()));
    if (c.metadata().tokenEndpointAuthMethod().usesSecret()) {
      json.put("client_secret_expires_at", 0);
    }
    Instant now = clock.instant();
    c.previousSecret()
        .filter(p -> now.isBefore(p.validUntil()))
        .ifPresent(p -> json.put("previous_secret_valid_until", p.validUntil().toString()));
    return json;
  }

  /**
   * The metadata in the request bodies' names: what {@link #metadata(JsonObject)} reads back to the
   * same value (a PATCH of nothing changes nothing).
   */
  static JsonObject metadataJson(ClientMetadata m) {
    JsonArray grants = new JsonArray();
    m.grantTypes().forEach(g -> grants.add(g.wire()));
    JsonObject json =
        new JsonObject()
            .put("client_name", m.name())
            .put("client_type", m.type().wire())
            .put("token_endpoint_auth_method", m.tokenEndpointAuthMethod().wire())
            .put("redirect_uris", new JsonArray(new ArrayList<>(m.redirectUris())))
            .put("grant_types", grants)
            .put(
                "response_types",
                m.allows(GrantType.AUTHORIZATION_CODE)
                    ? new JsonArray().add("code")
                    : new JsonArray())
            .put("scope", m.allowedScopes().value());
    m.logoUri().ifPresent(u -> json.put("logo_uri", u));
    m.clientUri().ifPresent(u -> json.put("client_uri", u));
    json.put("skip_consent", m.skipConsent())
        .put("access_token_format", m.accessTokenFormat().wire())
        .put("access_token_signing_alg", m.accessTokenSigningAlg().wire())
        .put("introspect", m.introspect())
        .put("id_token_signed_response_alg", m.idTokenSignedResponseAlg().wire())
        .put(
            "post_logout_redirect_uris",
            new JsonArray(new ArrayList<>(m.logout().postLogoutRedirectUris())));
    m.logout().backchannelLogoutUri().ifPresent(u -> json.put("backchannel_logout_uri", u));
    json.put("backchannel_logout_session_required", m.logout().backchannelLogoutSessionRequired());
    if (m.allows(GrantType.TOKEN_EXCHANGE)) {
      json.put(
              "token_exchange_audiences",
              new JsonArray(new ArrayList<>(m.tokenExchange().audiences())))
          .put("token_exchange_allow_impersonation", m.tokenExchange().allowImpersonation())
          .put("token_exchange_allow_refresh_token", m.tokenExchange().allowRefreshToken());
    }
    json.put(
            "require_pushed_authorization_requests",
            m.security().requirePushedAuthorizationRequests())
        .put("dpop_bound_access_tokens", m.security().dpopBoundAccessTokens());
    m.security().jwks().ifPresent(k -> json.put("jwks", new JsonObject(k)));
    m.security().jwksUri().ifPresent(u -> json.put("jwks_uri", u));
    if (m.security().fapi2()) {
      json.put("profile", ClientSecurity.FAPI2);
    }
    m.security()
        .tokenEndpointAuthSigningAlg()
        .ifPresent(a -> json.put("token_endpoint_auth_signing_alg", a.wire()));
    return json;
  }
}
