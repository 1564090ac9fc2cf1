package io.grantry.server.clients;

import io.grantry.domain.client.ClientDisabled;
import io.grantry.domain.client.ClientEnabled;
import io.grantry.domain.client.ClientEvent;
import io.grantry.domain.client.ClientEventCodec;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientRegistered;
import io.grantry.domain.client.ClientSecretRotated;
import io.grantry.domain.client.ClientSecurity;
import io.grantry.domain.client.ClientUpdated;
import io.grantry.domain.client.DisableReason;
import io.grantry.domain.client.GrantType;
import io.grantry.server.app.StreamProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code clients} table from the {@code client:<id>} streams: one row per client with its
 * current metadata, its secret hashes (never a secret) and whether it is disabled.
 *
 * <p>Applied inline, in the append's transaction (see {@code HttpVerticle}), so the admin API reads
 * its own writes and the token endpoint never authenticates against a stale secret. Idempotent:
 * each row remembers the stream version it reflects and ignores events at or below it.
 */
public final class ClientsProjection extends StreamProjection<ClientEvent> {
  public static final String NAME = "clients";
  public static final String TABLE = "clients";
  static final String STREAM_PREFIX = "client:";

  public ClientsProjection() {
    super(NAME, TABLE, STREAM_PREFIX, ClientEventCodec.INSTANCE);
  }

  /** The stream of client {@code clientId}. */
  public static String streamId(String clientId) {
    return STREAM_PREFIX + clientId;
  }

  /** The columns a client's metadata fills, in the order {@link #metadata} adds their values. */
  private static final String METADATA_COLUMNS =
      "client_name, token_endpoint_auth_method, redirect_uris, grant_types,"
          + " scope, logo_uri, client_uri, skip_consent, access_token_format, access_token_signing_alg, introspect,"
          + " id_token_signed_response_alg, post_logout_redirect_uris, backchannel_logout_uri,"
          + " backchannel_logout_session_required, token_exchange_audiences,"
          + " token_exchange_allow_impersonation, token_exchange_allow_refresh_token,"
          + " require_pushed_authorization_requests,"
          + " jwks, jwks_uri, token_endpoint_auth_signing_alg, dpop_bound_access_tokens, profile";

  /** How many values {@link #METADATA_COLUMNS} takes. */
  private static final int METADATA_VALUES = METADATA_COLUMNS.split(",").length;

  /** {@code $from, $from+1, ...}: {@code n} placeholders. */
  private static String placeholders(int from, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ", ").append('$').append(from + i);
    }
    return sb.toString();
  }

  /** Adds the values of {@link #METADATA_COLUMNS} to {@code t}. */
  private static Tuple metadata(Tuple t, ClientMetadata m) {
    return t.addString(m.name())
        .addString(m.tokenEndpointAuthMethod().wire())
        .addArrayOfString(m.redirectUris().toArray(String[]::new))
        .addArrayOfString(grants(m))
        .addString(m.allowedScopes().value())
        .addString(m.logoUri().orElse(null))
        .addString(m.clientUri().orElse(null))
        .addBoolean(m.skipConsent())
        .addString(m.accessTokenFormat().wire())
        .addString(m.accessTokenSigningAlg().wire())
        .addBoolean(m.introspect())
        .addString(m.idTokenSignedResponseAlg().wire())
        .addArrayOfString(m.logout().postLogoutRedirectUris().toArray(String[]::new))
        .addString(m.logout().backchannelLogoutUri().orElse(null))
        .addBoolean(m.logout().backchannelLogoutSessionRequired())
        .addArrayOfString(m.tokenExchange().audiences().toArray(String[]::new))
        .addBoolean(m.tokenExchange().allowImpersonation())
        .addBoolean(m.tokenExchange().allowRefreshToken())
        .addBoolean(m.security().requirePushedAuthorizationRequests())
        .addString(m.security().jwks().orElse(null))
        .addString(m.security().jwksUri().orElse(null))
        .addString(m.security().tokenEndpointAuthSigningAlg().map(a -> a.wire()).orElse(null))
        .addBoolean(m.security().dpopBoundAccessTokens())
        .addString(m.security().fapi2() ? ClientSecurity.FAPI2 : null);
  }

  @Override
  protected Future<Void> apply(SqlConnection tx, String table, ClientEvent event, long version) {
    if (event instanceof ClientRegistered e) {
      ClientMetadata m = e.metadata();
      return tx.preparedQuery(
              "INSERT INTO "
                  + table
                  + " (client_id, "
                  + METADATA_COLUMNS
                  + ", client_type,"
                  + " secret_hash, disabled, registered_at, updated_at, stream_version)"
                  + " VALUES ("
                  + placeholders(1, METADATA_VALUES + 3)
                  + ", false, "
                  + placeholders(METADATA_VALUES + 4, 1)
                  + ", "
                  + placeholders(METADATA_VALUES + 4, 2)
                  + ") ON CONFLICT (client_id) DO NOTHING")
          .execute(
              metadata(Tuple.tuple().addString(e.clientId()), m)
                  .addString(m.type().wire())
                  .addString(e.secretHash().orElse(null))
                  .addOffsetDateTime(utc(e.registeredAt()))
                  .addLong(version))
          .mapEmpty();
    }
    if (event instanceof ClientUpdated e) {
      ClientMetadata m = e.metadata();
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET ("
                  + METADATA_COLUMNS
                  + ", updated_at, stream_version)"
                  + " = ("
                  + placeholders(2, METADATA_VALUES + 2)
                  + ") WHERE client_id = $1 AND stream_version < $"
                  + (METADATA_VALUES + 3))
          .execute(
              metadata(Tuple.tuple().addString(e.clientId()), m)
                  .addOffsetDateTime(utc(e.updatedAt()))
                  .addLong(version))
          .mapEmpty();
    }
    if (event instanceof ClientSecretRotated e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET secret_hash = $2, previous_secret_hash = $3,"
                  + " previous_secret_valid_until = $4, updated_at = $5, stream_version = $6"
                  + " WHERE client_id = $1 AND stream_version < $6")
          .execute(
              Tuple.of(
                  e.clientId(),
                  e.secretHash(),
                  e.previousSecretHash(),
                  utc(e.previousValidUntil()),
                  utc(e.rotatedAt()),
                  version))
          .mapEmpty();
    }
    if (event instanceof ClientEnabled e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET disabled = false, disabled_reason = NULL, updated_at = $2,"
                  + " stream_version = $3 WHERE client_id = $1 AND stream_version < $3")
          .execute(Tuple.of(e.clientId(), utc(e.enabledAt()), version))
          .mapEmpty();
    }
    ClientDisabled e = (ClientDisabled) event;
    return tx.preparedQuery(
            "UPDATE "
                + table
                + " SET disabled = true, disabled_reason = $4, updated_at = $2, stream_version = $3"
                + " WHERE client_id = $1 AND stream_version < $3")
        .execute(
            Tuple.of(
                e.clientId(),
                utc(e.disabledAt()),
                version,
                e.reason().map(DisableReason::wire).orElse(null)))
        .mapEmpty();
  }

  /** Grant types in their declaration order, so equal sets give equal rows. */
  private static String[] grants(ClientMetadata m) {
    return m.grantTypes().stream().map(GrantType::wire).toArray(String[]::new);
  }

  static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
