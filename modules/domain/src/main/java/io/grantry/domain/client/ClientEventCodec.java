package io.grantry.domain.client;

import static io.grantry.domain.Json.bool;
import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.optionalString;
import static io.grantry.domain.Json.string;
import static io.grantry.domain.Json.strings;
import static io.grantry.domain.Json.wireEnum;

import io.grantry.domain.EventCodec;
import io.grantry.domain.EventCodecException;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Client events to and from JSON. Field names follow the OAuth wire spelling (RFC 7591 §2), so an
 * auditor reading the ledger sees {@code redirect_uris}, not Java names.
 */
public final class ClientEventCodec implements EventCodec<ClientEvent> {
  public static final ClientEventCodec INSTANCE = new ClientEventCodec();

  private static final Set<String> TYPES =
      Set.of(
          ClientRegistered.TYPE,
          ClientUpdated.TYPE,
          ClientSecretRotated.TYPE,
          ClientDisabled.TYPE,
          ClientEnabled.TYPE);

  private ClientEventCodec() {}

  @Override
  public String type(ClientEvent event) {
    return event.type();
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(ClientEvent event) {
    JsonObject json = new JsonObject().put("client_id", event.clientId());
    if (event instanceof ClientRegistered e) {
      putMetadata(json, e.metadata());
      e.secretHash().ifPresent(h -> json.put("secret_hash", h));
      return json.put("registered_at", e.registeredAt());
    }
    if (event instanceof ClientUpdated e) {
      putMetadata(json, e.metadata());
      return json.put("updated_at", e.updatedAt());
    }
    if (event instanceof ClientSecretRotated e) {
      return json.put("secret_hash", e.secretHash())
          .put("previous_secret_hash", e.previousSecretHash())
          .put("previous_valid_until", e.previousValidUntil())
          .put("rotated_at", e.rotatedAt());
    }
    if (event instanceof ClientDisabled e) {
      json.put("disabled_at", e.disabledAt());
      e.reason().ifPresent(r -> json.put("reason", r.wire()));
      return json;
    }
    if (event instanceof ClientEnabled e) {
      return json.put("enabled_at", e.enabledAt());
    }
    throw new IllegalArgumentException("unhandled client event " + event.type());
  }

  @Override
  public ClientEvent fromJson(String type, JsonObject p) {
    if (type == null) {
      throw new UnknownEventTypeException("client", null, TYPES);
    }
    switch (type) {
      case ClientRegistered.TYPE:
        return new ClientRegistered(
            string(type, p, "client_id"),
            metadata(type, p),
            optionalString(type, p, "secret_hash"),
            instant(type, p, "registered_at"));
      case ClientUpdated.TYPE:
        return new ClientUpdated(
            string(type, p, "client_id"), metadata(type, p), instant(type, p, "updated_at"));
      case ClientSecretRotated.TYPE:
        return new ClientSecretRotated(
            string(type, p, "client_id"),
            string(type, p, "secret_hash"),
            string(type, p, "previous_secret_hash"),
            instant(type, p, "previous_valid_until"),
            instant(type, p, "rotated_at"));
      case ClientDisabled.TYPE:
        return new ClientDisabled(
            string(type, p, "client_id"),
            instant(type, p, "disabled_at"),
            p.containsKey("reason")
                ? Optional.of(wireEnum(type, p, "reason", DisableReason::fromWire))
                : Optional.empty());
      case ClientEnabled.TYPE:
        return new ClientEnabled(string(type, p, "client_id"), instant(type, p, "enabled_at"));
      default:
        throw new UnknownEventTypeException("client", type, TYPES);
    }
  }

  private static void putMetadata(JsonObject json, ClientMetadata m) {
    JsonArray grants = new JsonArray();
    m.grantTypes().forEach(g -> grants.add(g.wire()));
    json.put("client_name", m.name())
        .put("client_type", m.type().wire())
        .put("token_endpoint_auth_method", m.tokenEndpointAuthMethod().wire())
        .put("redirect_uris", new JsonArray(new ArrayList<>(m.redirectUris())))
        .put("grant_types", grants)
        .put("allowed_scopes", new JsonArray(new ArrayList<>(m.allowedScopes().asSet())))
        .put("skip_consent", m.skipConsent())
        .put("access_token_format", m.accessTokenFormat().wire())
        .put("access_token_signing_alg", m.accessTokenSigningAlg().wire())
        .put("introspect", m.introspect());
    // Only when not the default: the payloads of clients registered before the setting existed
    // and of clients that keep RS256 stay as they were.
    if (m.idTokenSignedResponseAlg() != SigningAlgorithm.RS256) {
      json.put("id_token_signed_response_alg", m.idTokenSignedResponseAlg().wire());
    }
    m.logoUri().ifPresent(u -> json.put("logo_uri", u));
    m.clientUri().ifPresent(u -> json.put("client_uri", u));
    // Only what is set: earlier clients' payloads stay as they were, and decode to NONE.
    LogoutMetadata l = m.logout();
    if (!l.postLogoutRedirectUris().isEmpty()) {
      json.put(
          "post_logout_redirect_uris", new JsonArray(new ArrayList<>(l.postLogoutRedirectUris())));
    }
    l.backchannelLogoutUri().ifPresent(u -> json.put("backchannel_logout_uri", u));
    if (l.backchannelLogoutSessionRequired()) {
      json.put("backchannel_logout_session_required", true);
    }
    // The same: clients registered before token exchange decode to NONE.
    TokenExchangeMetadata x = m.tokenExchange();
    if (!x.audiences().isEmpty()) {
      json.put("token_exchange_audiences", new JsonArray(new ArrayList<>(x.audiences())));
    }
    if (x.allowImpersonation()) {
      json.put("token_exchange_allow_impersonation", true);
    }
    if (x.allowRefreshToken()) {
      json.put("token_exchange_allow_refresh_token", true);
    }
    ClientSecurity sec = m.security();
    if (sec.requirePushedAuthorizationRequests()) {
      json.put("require_pushed_authorization_requests", true);
    }
    sec.jwks().ifPresent(k -> json.put("jwks", new JsonObject(k)));
    sec.jwksUri().ifPresent(u -> json.put("jwks_uri", u));
    sec.tokenEndpointAuthSigningAlg()
        .ifPresent(a -> json.put("token_endpoint_auth_signing_alg", a.wire()));
    if (sec.dpopBoundAccessTokens()) {
      json.put("dpop_bound_access_tokens", true);
    }
    if (sec.fapi2()) {
      json.put("profile", ClientSecurity.FAPI2);
    }
  }

  private static ClientMetadata metadata(String type, JsonObject p) {
    List<GrantType> grants = new ArrayList<>();
    for (String g : strings(type, p, "grant_types")) {
      grants.add(
          GrantType.fromWire(g)
              .orElseThrow(
                  () -> Json.problem(type, "grant_types", "has an unknown value '" + g + "'")));
    }
    Scopes scopes;
    try {
      scopes = Scopes.of(strings(type, p, "allowed_scopes"));
    } catch (IllegalArgumentException e) {
      throw new EventCodecException(type + ": field 'allowed_scopes' " + e.getMessage());
    }
    return new ClientMetadata(
        string(type, p, "client_name"),
        wireEnum(type, p, "client_type", ClientType::fromWire),
        wireEnum(type, p, "token_endpoint_auth_method", TokenEndpointAuthMethod::fromWire),
        strings(type, p, "redirect_uris"),
        Set.copyOf(grants),
        scopes,
        optionalString(type, p, "logo_uri"),
        optionalString(type, p, "client_uri"),
        bool(type, p, "skip_consent"),
        wireEnum(type, p, "access_token_format", AccessTokenFormat::fromWire),
        wireEnum(type, p, "access_token_signing_alg", SigningAlgorithm::fromWire),
        bool(type, p, "introspect"),
        optionalString(type, p, "id_token_signed_response_alg")
            .map(
                a ->
                    SigningAlgorithm.fromWire(a)
                        .orElseThrow(
                            () ->
                                Json.problem(
                                    type,
                                    "id_token_signed_response_alg",
                                    "has an unknown value '" + a + "'")))
            .orElse(SigningAlgorithm.RS256),
        new LogoutMetadata(
            p.containsKey("post_logout_redirect_uris")
                ? strings(type, p, "post_logout_redirect_uris")
                : List.of(),
            optionalString(type, p, "backchannel_logout_uri"),
            p.getBoolean("backchannel_logout_session_required", false)),
        new TokenExchangeMetadata(
            p.containsKey("token_exchange_audiences")
                ? strings(type, p, "token_exchange_audiences")
                : List.of(),
            optionalBool(type, p, "token_exchange_allow_impersonation"),
            optionalBool(type, p, "token_exchange_allow_refresh_token")),
        security(type, p));
  }

  /** Absent fields are the defaults: clients registered before them decode as they were. */
  private static ClientSecurity security(String type, JsonObject p) {
    return new ClientSecurity(
        optionalBool(type, p, "require_pushed_authorization_requests"),
        p.containsKey("jwks")
            ? Optional.of(Json.object(type, p, "jwks").encode())
            : Optional.empty(),
        optionalString(type, p, "jwks_uri"),
        optionalString(type, p, "token_endpoint_auth_signing_alg")
            .map(
                a ->
                    JwsAlgorithm.fromWire(a)
                        .orElseThrow(
                            () ->
                                Json.problem(
                                    type,
                                    "token_endpoint_auth_signing_alg",
                                    "has an unknown value '" + a + "'"))),
        optionalBool(type, p, "dpop_bound_access_tokens"),
        profile(type, p));
  }

  private static boolean profile(String type, JsonObject p) {
    Optional<String> profile = optionalString(type, p, "profile");
    if (profile.isPresent() && !ClientSecurity.FAPI2.equals(profile.get())) {
      throw Json.problem(type, "profile", "has an unknown value '" + profile.get() + "'");
    }
    return profile.isPresent();
  }

  /** A boolean field that may be absent (false), but is a boolean when present. */
  private static boolean optionalBool(String type, JsonObject p, String field) {
    return p.containsKey(field) && bool(type, p, field);
  }
}
