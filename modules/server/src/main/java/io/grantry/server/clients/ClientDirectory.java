package io.grantry.server.clients;

import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientDecider;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientSecurity;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientState.PreviousSecret;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.DisableReason;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.LogoutMetadata;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.crypto.ClientSecrets;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who the clients are: the read side of the client aggregate, answered from the {@code clients}
 * projection (one indexed row per lookup; the projection is written in the append's transaction, so
 * it is never behind an acknowledged change).
 *
 * <p>The authorization, token, revocation and introspection endpoints use {@link #find} and {@link
 * #authenticate}; the admin API also lists.
 */
public final class ClientDirectory {
  private static final String COLUMNS =
      "client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,"
          + " grant_types, scope, logo_uri, client_uri, skip_consent, access_token_format, access_token_signing_alg,"
          + " introspect, id_token_signed_response_alg, post_logout_redirect_uris,"
          + " backchannel_logout_uri, backchannel_logout_session_required, token_exchange_audiences,"
          + " token_exchange_allow_impersonation, token_exchange_allow_refresh_token,"
          + " require_pushed_authorization_requests, jwks, jwks_uri, token_endpoint_auth_signing_alg,"
          + " dpop_bound_access_tokens, profile,"
          + " secret_hash, previous_secret_hash, previous_secret_valid_until, disabled,"
          + " disabled_reason, registered_at";
  private static final String FIND = "SELECT " + COLUMNS + " FROM clients WHERE client_id = $1";
  private static final String FIND_VERSIONED =
      "SELECT " + COLUMNS + ", stream_version FROM clients WHERE client_id = $1";
  private static final String PAGE =
      "SELECT " + COLUMNS + " FROM clients WHERE client_id > $1 ORDER BY client_id LIMIT $2";

  private final Pool pool;
  private final ClientSecrets secrets;
  private final Clock clock;
  private final ClientCache cache;

  /**
   * @param pool holds the {@code clients} projection
   * @param secrets checks presented client secrets against their hashes
   * @param cache lookups kept for a moment (null: none)
   */
  public ClientDirectory(Pool pool, ClientSecrets secrets, Clock clock, ClientCache cache) {
    this.pool = pool;
    this.secrets = secrets;
    this.clock = clock;
    this.cache = cache;
  }

  /**
   * The client registered as {@code clientId}, disabled ones included (check {@link
   * ClientState.Registered#disabled()} and refuse them); empty if there is none.
   */
  public Future<Optional<ClientState.Registered>> find(String clientId) {
    if (clientId == null
        || clientId.isEmpty()
        || clientId.length() > ClientDecider.MAX_CLIENT_ID_LENGTH) {
      return Future.succeededFuture(Optional.empty());
    }
    if (cache != null) {
      return cache.get(clientId, this::load);
    }
    return load(clientId);
  }

  /** A client as the admin API shows it, and the version of its stream that it reflects. */
  public record Versioned(ClientState.Registered client, long version) {}

  /**
   * The client registered as {@code clientId} and the version of its stream the row reflects, read
   * from the table (never a cache: what an If-Match is compared with must be current); empty if
   * there is none.
   */
  public Future<Optional<Versioned>> findVersioned(String clientId) {
    return pool.preparedQuery(FIND_VERSIONED)
        .execute(Tuple.of(clientId))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(
                        new Versioned(
                            fromRow(rows.iterator().next()),
                            rows.iterator().next().getLong("stream_version"))));
  }

  private Future<Optional<ClientState.Registered>> load(String clientId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(clientId)).map(ClientDirectory::first);
  }

  /**
   * The client if {@code presentedSecret} is its current secret, or its previous one during the
   * rotation grace period (RFC 6749 §2.3.1). Empty on any failure (unknown, public or disabled
   * client, wrong or expired secret), and the caller learns nothing about which part failed. The
   * keyed hash is computed whether or not the client exists, and compared in constant time.
   */
  public Future<Optional<ClientState.Registered>> authenticate(
      String clientId, String presentedSecret) {
    return find(clientId)
        .map(
            found -> {
              List<String> accepted =
                  found
                      .filter(c -> !c.disabled())
                      .map(c -> c.acceptedSecretHashes(clock.instant()))
                      .orElse(List.of());
              boolean ok = secrets.verifyAny(presentedSecret, accepted);
              return ok ? found : Optional.<ClientState.Registered>empty();
            });
  }

  /**
   * Up to {@code limit} clients ordered by id, starting after {@code afterClientId} (empty: from
   * the first).
   */
  public Future<List<ClientState.Registered>> list(Optional<String> afterClientId, int limit) {
    return pool.preparedQuery(PAGE)
        .execute(Tuple.of(afterClientId.orElse(""), limit))
        .map(
            rows -> {
              List<ClientState.Registered> out = new ArrayList<>(rows.size());
              rows.forEach(r -> out.add(fromRow(r)));
              return out;
            });
  }

  private static Optional<ClientState.Registered> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(fromRow(rows.iterator().next()));
  }

  static ClientState.Registered fromRow(Row r) {
    Set<GrantType> grants = EnumSet.noneOf(GrantType.class);
    for (String g : r.getArrayOfStrings("grant_types")) {
      grants.add(GrantType.fromWire(g).orElseThrow(() -> corrupt(r, "grant_types")));
    }
    ClientMetadata metadata =
        new ClientMetadata(
            r.getString("client_name"),
            ClientType.fromWire(r.getString("client_type"))
                .orElseThrow(() -> corrupt(r, "client_type")),
            TokenEndpointAuthMethod.fromWire(r.getString("token_endpoint_auth_method"))
                .orElseThrow(() -> corrupt(r, "token_endpoint_auth_method")),
            List.of(r.getArrayOfStrings("redirect_uris")),
            grants,
            Scopes.parse(r.getString("scope")),
            Optional.ofNullable(r.getString("logo_uri")),
            Optional.ofNullable(r.getString("client_uri")),
            r.getBoolean("skip_consent"),
            AccessTokenFormat.fromWire(r.getString("access_token_format"))
                .orElseThrow(() -> corrupt(r, "access_token_format")),
            SigningAlgorithm.fromWire(r.getString("access_token_signing_alg"))
                .orElseThrow(() -> corrupt(r, "access_token_signing_alg")),
            r.getBoolean("introspect"),
            SigningAlgorithm.fromWire(r.getString("id_token_signed_response_alg"))
                .orElseThrow(() -> corrupt(r, "id_token_signed_response_alg")),
            new LogoutMetadata(
                List.of(r.getArrayOfStrings("post_logout_redirect_uris")),
                Optional.ofNullable(r.getString("backchannel_logout_uri")),
                r.getBoolean("backchannel_logout_session_required")),
            new TokenExchangeMetadata(
                List.of(r.getArrayOfStrings("token_exchange_audiences")),
                r.getBoolean("token_exchange_allow_impersonation"),
                r.getBoolean("token_exchange_allow_refresh_token")),
            new ClientSecurity(
                r.getBoolean("require_pushed_authorization_requests"),
                Optional.ofNullable(r.getString("jwks")),
                Optional.ofNullable(r.getString("jwks_uri")),
                Optional.ofNullable(r.getString("token_endpoint_auth_signing_alg"))
                    .map(
                        a ->
                            JwsAlgorithm.fromWire(a)
                                .orElseThrow(() -> corrupt(r, "token_endpoint_auth_signing_alg"))),
                r.getBoolean("dpop_bound_access_tokens"),
                ClientSecurity.FAPI2.equals(r.getString("profile"))));
    String previous = r.getString("previous_secret_hash");
    OffsetDateTime previousUntil = r.getOffsetDateTime("previous_secret_valid_until");
    Optional<PreviousSecret> previousSecret =
        previous == null || previousUntil == null
            ? Optional.empty()
            : Optional.of(new PreviousSecret(previous, previousUntil.toInstant()));
    return new ClientState.Registered(
        r.getString("client_id"),
        metadata,
        Optional.ofNullable(r.getString("secret_hash")),
        previousSecret,
        r.getBoolean("disabled"),
        r.getOffsetDateTime("registered_at").toInstant(),
        Optional.ofNullable(r.getString("disabled_reason"))
            .map(w -> DisableReason.fromWire(w).orElseThrow(() -> corrupt(r, "disabled_reason"))));
  }

  private static IllegalStateException corrupt(Row r, String column) {
    return new IllegalStateException(
        "clients row '" + r.getString("client_id") + "' has an unknown " + column);
  }
}
