package io.grantry.server.audit;

import io.grantry.domain.client.ClientDecider;
import io.grantry.domain.client.ClientEventCodec;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientUpdated;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.DeviceAuthorizationRequested;
import io.grantry.domain.grant.GrantAccessTokens;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The state at an instant {@code T}, folded from the ledger's events up to {@code T} with the
 * domain's own {@code evolve} functions ({@link GrantDecider#evolve}, {@link Consent#evolve},
 * {@link ClientDecider#evolve}): the same model the server decides with, not a second one.
 *
 * <p>Each aggregate's state depends only on its own stream, and a stream's versions are in commit
 * order, so events may be fed in commit order of the whole ledger or any subset of whole streams (a
 * user's, a client's). Events of other streams (users, keys, checkpoints) are ignored.
 *
 * <p>What "valid at T" means, row by row, is what the live projections show when {@code T} is now:
 * a grant in its status at {@code T}; an access token not revoked and not expired at {@code T}; the
 * grant's current refresh token, not revoked and not expired at {@code T}; a consent given and not
 * withdrawn; a client registered by {@code T}, with its configuration then. Token expiries are
 * compared with {@code T}, as the endpoints compare them with the request's time. A grant made by a
 * token exchange names the grants it descends from; once one of those is revoked its tokens are no
 * longer valid (as introspection answers), though its own stream records no revocation: its row
 * says when ({@code grant_chain_revoked_at}) and its tokens are not listed.
 */
public final class AsOfState {
  private final Instant at;
  private final Map<String, GrantState> grants = new TreeMap<>();

  /**
   * The access tokens of the folded grants by stream, in order of issue, only those live at {@link
   * #at} so far (the grant state keeps none): issued by a grant event and not revoked by one.
   */
  private final Map<String, Map<String, GrantAccessTokens.AccessToken>> accessTokens =
      new HashMap<>();

  /**
   * Grants folded only because a listed grant was exchanged from them (a client's or a user's as-of
   * state): their revocation is what ends the listed one, but they are not listed.
   */
  private final Map<String, GrantState> context = new TreeMap<>();

  private final Map<String, Consent.State> consents = new TreeMap<>();
  private final Map<String, ClientState> clients = new TreeMap<>();
  private long events;

  public AsOfState(Instant at) {
    this.at = at;
  }

  public Instant at() {
    return at;
  }

  /** Events folded so far. */
  public long events() {
    return events;
  }

  /**
   * Folds one event; the caller feeds each stream's events in version order and none after {@link
   * #at}.
   */
  public void accept(RecordedEvent e) {
    String stream = e.streamId();
    if (stream.startsWith(GrantTokens.STREAM_PREFIX)
        && GrantEventCodec.INSTANCE.types().contains(e.type())) {
      GrantEvent event = GrantEventCodec.INSTANCE.fromJson(e.type(), e.payload());
      grants.put(
          stream, GrantDecider.evolve(grants.getOrDefault(stream, GrantState.initial()), event));
      GrantAccessTokens.issuedBy(event)
          .filter(t -> at.isBefore(t.expiresAt()))
          .ifPresent(
              t ->
                  accessTokens.computeIfAbsent(stream, k -> new LinkedHashMap<>()).put(t.jti(), t));
      if (event instanceof AccessTokenRevoked r && accessTokens.containsKey(stream)) {
        accessTokens.get(stream).remove(r.jti());
      }
    } else if (stream.startsWith(AuditLedger.CONSENT_PREFIX)
        && Consent.CODEC.types().contains(e.type())) {
      ConsentEvent c = Consent.CODEC.fromJson(e.type(), e.payload());
      consents.put(
          c.userId() + " " + c.clientId(),
          Consent.evolve(
              consents.getOrDefault(c.userId() + " " + c.clientId(), Consent.State.NONE), c));
    } else if (stream.startsWith(AuditLedger.CLIENT_PREFIX)
        && ClientEventCodec.INSTANCE.types().contains(e.type())) {
      clients.put(
          stream,
          ClientDecider.evolve(
              clients.getOrDefault(stream, ClientState.initial()),
              ClientEventCodec.INSTANCE.fromJson(e.type(), e.payload())));
    } else {
      return;
    }
    events++;
  }

  /**
   * Folds an event of a grant another one was exchanged from, kept for its status only ({@link
   * #missingChainStreams}).
   */
  public void acceptContext(RecordedEvent e) {
    if (e.streamId().startsWith(GrantTokens.STREAM_PREFIX)
        && GrantEventCodec.INSTANCE.types().contains(e.type())
        && !grants.containsKey(e.streamId())) {
      context.put(
          e.streamId(),
          GrantDecider.evolve(
              context.getOrDefault(e.streamId(), GrantState.initial()),
              GrantEventCodec.INSTANCE.fromJson(e.type(), e.payload())));
      events++;
    }
  }

  /**
   * The streams of the grants the folded ones were exchanged from that were not folded themselves:
   * a listed grant's tokens are valid only while none of those is revoked.
   */
  public Set<String> missingChainStreams() {
    Set<String> out = new TreeSet<>();
    for (GrantState g : grants.values()) {
      for (String id : chainOf(g)) {
        String stream = GrantTokens.STREAM_PREFIX + id;
        if (!grants.containsKey(stream) && !context.containsKey(stream)) {
          out.add(stream);
        }
      }
    }
    return out;
  }

  private static List<String> chainOf(GrantState g) {
    GrantState s = g instanceof GrantState.Revoked r ? r.before() : g;
    return s instanceof GrantState.Active a
        ? a.exchange().map(TokenExchanged::grantChain).orElse(List.of())
        : List.of();
  }

  /**
   * The earliest revocation, by {@link #at}, of a grant {@code g} was exchanged from; empty when
   * none was revoked (or {@code g} was not made by an exchange).
   */
  private Optional<Instant> chainRevokedAt(GrantState g) {
    Optional<Instant> first = Optional.empty();
    for (String id : chainOf(g)) {
      String stream = GrantTokens.STREAM_PREFIX + id;
      GrantState ancestor = grants.getOrDefault(stream, context.get(stream));
      if (ancestor instanceof GrantState.Revoked r
          && first.map(f -> r.revokedAt().isBefore(f)).orElse(true)) {
        first = Optional.of(r.revokedAt());
      }
    }
    return first;
  }

  /** The client ids the grants and consents folded so far belong to. */
  public Set<String> clientIdsReferenced() {
    Set<String> ids = new TreeSet<>();
    for (GrantState g : grants.values()) {
      Facts f = facts(g, at);
      if (f != null) {
        ids.add(f.clientId);
      }
    }
    consents.keySet().forEach(k -> ids.add(k.substring(k.indexOf(' ') + 1)));
    return ids;
  }

  /**
   * The state as JSON: {@code grants}, {@code access_tokens}, {@code refresh_tokens}, {@code
   * consents}, {@code clients}.
   */
  public JsonObject toJson() {
    JsonArray grantRows = new JsonArray();
    JsonArray accessRows = new JsonArray();
    JsonArray refreshRows = new JsonArray();
    for (Map.Entry<String, GrantState> entry : grants.entrySet()) {
      GrantState g = entry.getValue();
      Facts f = facts(g, at);
      if (f == null) {
        continue;
      }
      JsonObject row =
          new JsonObject()
              .put("grant_id", f.grantId)
              .put("kind", f.kind)
              .put("client_id", f.clientId)
              .put("user_id", f.userId)
              .put("scope", f.scope.value())
              .put("status", f.status)
              .put("created_at", f.createdAt.toString());
      if (g instanceof GrantState.Revoked r) {
        row.put("revoked_at", r.revokedAt().toString())
            .put("revoked_reason", r.reason().wire())
            .put("revoked_by", r.actor());
      }
      Optional<Instant> chainRevoked = chainRevokedAt(g);
      GrantState plain = g instanceof GrantState.Revoked r ? r.before() : g;
      if (plain instanceof GrantState.Active x && x.exchange().isPresent()) {
        // A grant made by a token exchange: the grant it was exchanged from and the chain before
        // it, and when one of those was revoked (which ends this one too).
        row.put("subject_grant_id", x.exchange().get().subjectGrantId())
            .put("grant_chain", new JsonArray(new ArrayList<>(x.exchange().get().grantChain())));
        chainRevoked.ifPresent(t -> row.put("grant_chain_revoked_at", t.toString()));
      }
      grantRows.add(row);
      if (g instanceof GrantState.Active a && chainRevoked.isEmpty()) {
        String subject = a.userId().orElse(a.clientId());
        for (GrantAccessTokens.AccessToken t :
            accessTokens.getOrDefault(entry.getKey(), Map.of()).values()) {
          accessRows.add(
              new JsonObject()
                  .put("jti", t.jti())
                  .put("grant_id", a.grantId())
                  .put("client_id", a.clientId())
                  .put("subject", subject)
                  .put("scope", t.scopes().value())
                  .put("expires_at", t.expiresAt().toString()));
        }
        a.refreshToken()
            .filter(r -> at.isBefore(r.expiresAt()))
            .ifPresent(
                r ->
                    refreshRows.add(
                        new JsonObject()
                            .put("hash", r.hash())
                            .put("grant_id", a.grantId())
                            .put("client_id", a.clientId())
                            .put("subject", subject)
                            .put(
                                "scope",
                                a.lastRotation().map(x -> x.scopes()).orElse(a.scopes()).value())
                            .put("expires_at", r.expiresAt().toString())));
      }
    }
    JsonArray consentRows = new JsonArray();
    consents.forEach(
        (key, s) -> {
          if (s.grantedAt().isPresent()) {
            int sp = key.indexOf(' ');
            consentRows.add(
                new JsonObject()
                    .put("user_id", key.substring(0, sp))
                    .put("client_id", key.substring(sp + 1))
                    .put("scope", s.granted().value())
                    .put("granted_at", s.grantedAt().get().toString()));
          }
        });
    JsonArray clientRows = new JsonArray();
    for (ClientState c : clients.values()) {
      if (c instanceof ClientState.Registered r) {
        clientRows.add(clientJson(r));
      }
    }
    return new JsonObject()
        .put("time", at.toString())
        .put("events_replayed", events)
        .put("grants", grantRows)
        .put("access_tokens", accessRows)
        .put("refresh_tokens", refreshRows)
        .put("consents", consentRows)
        .put("clients", clientRows);
  }

  /**
   * A client's configuration in the ledger's own (RFC 7591) field names, as the client events carry
   * it, with whether it was disabled; no secret hash.
   */
  static JsonObject clientJson(ClientState.Registered r) {
    JsonObject j =
        ClientEventCodec.INSTANCE.toJson(
            new ClientUpdated(r.clientId(), r.metadata(), r.registeredAt()));
    j.remove("updated_at");
    return j.put("client_id", r.clientId())
        .put("disabled", r.disabled())
        .put("registered_at", r.registeredAt().toString());
  }

  /** What every grant row shows, whatever its state; null for an empty stream. */
  private record Facts(
      String grantId,
      String kind,
      String clientId,
      String userId,
      Scopes scope,
      String status,
      Instant createdAt) {}

  /**
   * A code never redeemed is {@code code_issued} while it may still be redeemed at {@code at}, and
   * {@code code_expired} from its expiry on (it can no longer become anything); a device grant
   * likewise ({@link #deviceStatus}).
   */
  private static Facts facts(GrantState g, Instant at) {
    if (g instanceof GrantState.CodeIssued c) {
      AuthorizationCodeIssued code = c.code();
      return new Facts(
          code.grantId(),
          GrantType.AUTHORIZATION_CODE.wire(),
          code.clientId(),
          code.userId(),
          code.scopes(),
          at.isBefore(code.expiresAt()) ? "code_issued" : "code_expired",
          code.issuedAt());
    }
    if (g instanceof GrantState.DeviceRequested d) {
      return deviceFacts(d.request(), null, deviceStatus(d.request(), at, "authorization_pending"));
    }
    if (g instanceof GrantState.DeviceApproved d) {
      return deviceFacts(
          d.request(), d.approval().userId(), deviceStatus(d.request(), at, "approved"));
    }
    if (g instanceof GrantState.DeviceDenied d) {
      return deviceFacts(d.request(), d.denial().userId(), "denied");
    }
    if (g instanceof GrantState.Active a) {
      Instant created =
          a.authorization()
              .map(AuthorizationCodeIssued::issuedAt)
              .or(() -> a.device().map(d -> d.request().requestedAt()))
              .orElse(a.grantedAt());
      return new Facts(
          a.grantId(),
          a.kind().wire(),
          a.clientId(),
          a.userId().orElse(null),
          a.scopes(),
          "active",
          created);
    }
    if (g instanceof GrantState.Revoked r) {
      Facts before = facts(r.before(), at);
      return new Facts(
          before.grantId,
          before.kind,
          before.clientId,
          before.userId,
          before.scope,
          "revoked",
          before.createdAt);
    }
    return null;
  }

  /**
   * A device grant not yet redeemed is {@code status} while its device code may still be polled for
   * tokens at {@code at}, and {@code expired} from the code's expiry on: unanswered or allowed, it
   * can no longer become anything (a poll gets {@code expired_token}), as a code never redeemed
   * becomes {@code code_expired}.
   */
  private static String deviceStatus(
      DeviceAuthorizationRequested request, Instant at, String status) {
    return at.isBefore(request.expiresAt()) ? status : "expired";
  }

  /** A device grant before its tokens, as the token-state projection's row shows it. */
  private static Facts deviceFacts(
      DeviceAuthorizationRequested request, String userId, String status) {
    return new Facts(
        request.grantId(),
        GrantType.DEVICE_CODE.wire(),
        request.clientId(),
        userId,
        request.scopes(),
        status,
        request.requestedAt());
  }
}
