package io.grantry.server.token;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.app.Aggregate;
import io.grantry.server.devicecodes.DeviceCodes;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code grant_type=urn:ietf:params:oauth:grant-type:device_code} (RFC 8628 §3.4-§3.5): a device's
 * poll. The device code finds its grant's stream and the grant decides: {@code
 * authorization_pending}, {@code slow_down}, {@code access_denied}, {@code expired_token}, or the
 * tokens once, as for a code. Whether a poll came too fast is read from the poll record every
 * instance shares ({@link DeviceCodes#recordPoll}), recorded only while the grant waits for its
 * user; the decision then takes it as a fact, and a race of two polls after the approval appends
 * the redemption once (the loser is decided again on the redeemed grant: a replay). A poll's DPoP
 * proof (checked by {@link TokenRoutes}) binds the tokens to its key; a device code bound to a key
 * at {@code /device_authorization} is answered only to polls proving it ({@link
 * DeviceAuthorizationRoutes}).
 */
final class DeviceCodeGrant implements TokenRoutes.TokenGrant {
  private final OAuthServices s;
  private final DeviceCodes devices;
  private final Minting minting;

  DeviceCodeGrant(OAuthServices s, DeviceCodes devices) {
    this.s = s;
    this.devices = devices;
    this.minting = new Minting(s);
  }

  @Override
  public GrantType type() {
    return GrantType.DEVICE_CODE;
  }

  @Override
  public Future<TokenRoutes.Result> exchange(
      RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    String deviceCode = form.get("device_code");
    if (deviceCode == null || deviceCode.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidRequest("device_code is missing")));
    }
    Optional<String> grantId = GrantTokens.grantIdOf(deviceCode);
    Optional<String> secret = GrantTokens.secretOf(deviceCode);
    if (grantId.isEmpty() || secret.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidGrant("the device code is not valid")));
    }
    String id = grantId.get();
    Minting.Access access = Minting.newAccess(client, id);
    String refreshSecret = TokenIssuer.secret();
    boolean mayRefresh = client.metadata().allows(GrantType.REFRESH_TOKEN);
    Instant now = s.clock.instant();
    GrantCommand.RedeemDeviceCode poll =
        new GrantCommand.RedeemDeviceCode(
            id,
            client.clientId(),
            GrantTokens.hash(secret.get()),
            access.jti(),
            Optional.empty(),
            s.lifetimes,
            false,
            Minting.dpopKey(ctx, client));
    // The decision may run more than once for one poll (a cached state is checked against the
    // ledger, a lost race is retried): the poll is recorded once, else a poll would be its own
    // "too fast" successor.
    List<Future<Boolean>> recorded = new ArrayList<>(1);
    return s.grants
        .execute(
            GrantTokens.streamId(id),
            state -> {
              if (!GrantDecider.needsPollRecord(state, poll, now)) {
                return Future.succeededFuture(false);
              }
              if (recorded.isEmpty()) {
                var request = ((GrantState.DeviceRequested) state).request();
                recorded.add(devices.recordPoll(id, request.interval(), request.expiresAt(), now));
              }
              return recorded.get(0);
            },
            (state, tooFast) -> {
              boolean offline =
                  mayRefresh
                      && state instanceof GrantState.DeviceApproved d
                      && d.request().scopes().contains(Scopes.OFFLINE_ACCESS);
              GrantCommand.RedeemDeviceCode c =
                  new GrantCommand.RedeemDeviceCode(
                      id,
                      client.clientId(),
                      poll.deviceCodeHash(),
                      access.jti(),
                      offline ? Optional.of(GrantTokens.hash(refreshSecret)) : Optional.empty(),
                      s.lifetimes,
                      tooFast,
                      poll.dpop());
              return minting.signed(
                  client, access, GrantDecider.decide(state, c, now), Optional.empty());
            },
            new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null))
        .compose(outcome -> minting.redeemed(client, access, refreshSecret, outcome));
  }
}
