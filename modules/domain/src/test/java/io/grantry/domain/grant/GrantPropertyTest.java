package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.CODE_HASH;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.OTHER_CLIENT;
import static io.grantry.domain.grant.GrantFixtures.REDIRECT;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.VERIFIER;
import static io.grantry.domain.grant.GrantFixtures.active;
import static io.grantry.domain.grant.GrantFixtures.apply;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.grant.GrantCommand.RedeemCode;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

class GrantPropertyTest {
  private static final Instant REDEEMED = T0.plusSeconds(5);

  /**
   * RFC 9700 §4.14.2: after any number N of rotations, presenting any refresh token but the current
   * one (the original or any rotated successor) revokes the grant, whatever the grace setting, and
   * from then on every refresh fails: the current token, every old one, by either client, with or
   * without grace.
   */
  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void presentingAnyNonCurrentRefreshTokenRevokesTheGrant(
      @ForAll @IntRange(min = 1, max = 12) int rotations,
      @ForAll @IntRange(min = 0, max = 11) int pick,
      @ForAll @LongRange(min = 1, max = 14 * 24 * 3600) long stepSeconds,
      @ForAll @LongRange(min = 0, max = 20 * 24 * 3600) long laterSeconds,
      @ForAll @LongRange(min = 0, max = 120) long graceSeconds) {
    int stale = pick % rotations;
    GrantState state = active();
    Instant now = REDEEMED;
    for (int i = 0; i < rotations; i++) {
      now = now.plusSeconds(stepSeconds);
      state = apply(state, GrantFixtures.refresh(refreshHash(i), i + 1), now);
    }
    assertThat(((Active) state).refreshToken().orElseThrow().hash())
        .isEqualTo(refreshHash(rotations));
    now = now.plusSeconds(laterSeconds);

    Refresh reuse =
        new Refresh(
            GRANT,
            CLIENT,
            refreshHash(stale),
            Optional.empty(),
            refreshHash(100),
            jti(100),
            TokenLifetimes.DEFAULT,
            Duration.ofSeconds(graceSeconds));
    Decision<GrantEvent> d = GrantFixtures.decideRefresh(state, reuse, now, true);
    assertThat(d.events())
        .containsExactly(
            new RefreshTokenReuseDetected(GRANT, CLIENT, refreshHash(stale), now),
            new GrantRevoked(
                GRANT, RevocationReason.REFRESH_REUSE, GrantDecider.SYSTEM_ACTOR, now));
    for (GrantEvent e : d.events()) {
      state = GrantDecider.evolve(state, e);
    }
    assertThat(state).isInstanceOf(Revoked.class);
    Statistics.label("stale is the immediate predecessor").collect(stale == rotations - 1);

    for (int i = 0; i <= rotations; i++) {
      for (String client : List.of(CLIENT, OTHER_CLIENT)) {
        for (Duration grace : List.of(Duration.ZERO, GrantDecider.MAX_REFRESH_GRACE)) {
          Refresh attempt =
              new Refresh(
                  GRANT,
                  client,
                  refreshHash(i),
                  Optional.empty(),
                  refreshHash(i + 1),
                  jti(200 + i),
                  TokenLifetimes.DEFAULT,
                  grace);
          Decision<GrantEvent> after =
              GrantFixtures.decideRefresh(state, attempt, now.plusSeconds(1), true);
          assertThat(after).isInstanceOf(Decision.Rejected.class);
          DomainError error = ((Decision.Rejected<GrantEvent>) after).error();
          assertThat(error).isInstanceOf(DomainError.OAuth.class);
          assertThat(((DomainError.OAuth) error).error().code())
              .isEqualTo(OAuthError.Code.INVALID_GRANT);
        }
      }
    }
  }

  /**
   * For any sequence of commands, valid or not: decide never throws; accepted events evolve the
   * state; the codec gives back the same events and the same state; a revoked grant never accepts
   * another event; and the state keeps its invariants.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void decidedEventsEvolveSurviveTheCodecAndKeepInvariants(
      @ForAll("steps") List<Tuple.Tuple2<GrantCommand, Long>> steps) {
    GrantState state = GrantState.initial();
    List<GrantEvent> written = new ArrayList<>();
    // Every refresh token hash the grant issued: what the handler's lookup of the projection finds.
    Set<String> issued = new HashSet<>();
    // Every access token it issued, as the token-state projection holds it.
    Map<String, GrantCommand.IssuedAccessToken> accessTokens = new HashMap<>();
    Instant now = T0;
    for (Tuple.Tuple2<GrantCommand, Long> step : steps) {
      now = now.plusSeconds(step.get2());
      GrantCommand command = resolve(step.get1(), state, accessTokens);
      Decision<GrantEvent> d =
          command instanceof Refresh r
              ? GrantFixtures.decideRefresh(state, r, now, issued.contains(r.presentedHash()))
              : GrantDecider.decide(state, command, now);
      if (state instanceof Revoked) {
        assertThat(d.isAccepted() ? d.events() : List.of()).isEmpty();
      }
      if (d.isAccepted()) {
        if (!d.events().isEmpty() && d.events().get(0) instanceof RefreshTokenReuseDetected reuse) {
          // Only a token that was rotated away counts as reuse, never the current one or a guess.
          assertThat(issued).contains(reuse.presentedHash());
          assertThat(((Active) state).refreshToken().orElseThrow().hash())
              .isNotEqualTo(reuse.presentedHash());
          assertThat(d.events().get(1)).isInstanceOf(GrantRevoked.class);
        }
        for (GrantEvent e : d.events()) {
          state = GrantDecider.evolve(state, e);
          written.add(e);
          GrantSnapshotCodecTest.track(accessTokens, e);
          if (e instanceof AuthorizationCodeRedeemed redeemed) {
            redeemed.refreshTokenHash().ifPresent(issued::add);
          } else if (e instanceof RefreshTokenRotated rotated) {
            issued.add(rotated.newHash());
          }
        }
      }
      assertInvariants(state);
    }
    List<GrantEvent> decoded = new ArrayList<>();
    for (GrantEvent e : written) {
      decoded.add(GrantEventCodec.INSTANCE.fromJson(e.type(), GrantEventCodec.INSTANCE.toJson(e)));
    }
    Statistics.label("final state").collect(state.getClass().getSimpleName());
    Statistics.label("rotations")
        .collect(
            written.stream().filter(e -> e instanceof RefreshTokenRotated).count() > 2
                ? "3+"
                : String.valueOf(
                    written.stream().filter(e -> e instanceof RefreshTokenRotated).count()));
    assertThat(decoded).isEqualTo(written);
    assertThat(GrantDecider.replay(decoded)).isEqualTo(state);
  }

  private static void assertInvariants(GrantState state) {
    if (state instanceof Active a) {
      a.lastRotation()
          .ifPresent(
              last -> {
                assertThat(last.scopes().isSubsetOf(a.scopes())).isTrue();
                assertThat(GrantTokens.isJtiOf(a.grantId(), last.accessTokenJti())).isTrue();
              });
      a.lastRotation()
          .ifPresent(
              last -> assertThat(last.newHash()).isEqualTo(a.refreshToken().orElseThrow().hash()));
    }
  }

  /**
   * Stands for "the grant's current refresh token", filled in from the state when the step runs.
   */
  private static final String CURRENT = GrantTokens.hash("the current refresh token");

  private static GrantCommand resolve(
      GrantCommand command,
      GrantState state,
      Map<String, GrantCommand.IssuedAccessToken> accessTokens) {
    if (command instanceof RevokeAccessToken r) {
      return new RevokeAccessToken(
          r.grantId(),
          r.jti(),
          r.actor(),
          r.requestingClientId(),
          Optional.ofNullable(accessTokens.get(r.jti())));
    }
    if (command instanceof Refresh r && r.presentedHash().equals(CURRENT)) {
      String current =
          state instanceof Active a && a.refreshToken().isPresent()
              ? a.refreshToken().get().hash()
              : CURRENT;
      return new Refresh(
          r.grantId(),
          r.clientId(),
          current,
          r.requestedScopes(),
          r.newRefreshHash(),
          r.accessTokenJti(),
          r.lifetimes(),
          r.grace());
    }
    return command;
  }

  @Provide
  Arbitrary<List<Tuple.Tuple2<GrantCommand, Long>>> steps() {
    Arbitrary<Long> gaps =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.longs().between(0, 30)),
            Tuple.of(2, Arbitraries.longs().between(30, 3600)),
            Tuple.of(1, Arbitraries.longs().between(3600, 20L * 24 * 3600)));
    Arbitrary<Tuple.Tuple2<GrantCommand, Long>> step =
        Combinators.combine(command(), gaps).as(Tuple::of);
    // Most sequences start with a code and its redemption, so that rotation and reuse are reached.
    Tuple.Tuple2<GrantCommand, Long> issue = Tuple.of(GrantFixtures.issueCode(), 0L);
    Tuple.Tuple2<GrantCommand, Long> redeem = Tuple.of(GrantFixtures.redeem(), 5L);
    Arbitrary<List<Tuple.Tuple2<GrantCommand, Long>>> head =
        Arbitraries.frequencyOf(
            Tuple.of(7, Arbitraries.just(List.of(issue, redeem))),
            Tuple.of(2, Arbitraries.just(List.of(issue))),
            Tuple.of(1, Arbitraries.just(List.of())));
    return Combinators.combine(head, step.list().ofMaxSize(12))
        .as(
            (prefix, tail) -> {
              List<Tuple.Tuple2<GrantCommand, Long>> all = new ArrayList<>(prefix);
              all.addAll(tail);
              return all;
            });
  }

  private Arbitrary<GrantCommand> command() {
    Arbitrary<String> clients =
        Arbitraries.frequencyOf(
            Tuple.of(5, Arbitraries.just(CLIENT)), Tuple.of(1, Arbitraries.just(OTHER_CLIENT)));
    Arbitrary<Integer> index = Arbitraries.integers().between(0, 20);
    Arbitrary<GrantCommand> issue = Arbitraries.just(GrantFixtures.issueCode());
    Arbitrary<GrantCommand> redeem =
        Combinators.combine(
                clients,
                Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.just(CODE_HASH)),
                    Tuple.of(1, Arbitraries.just(GrantTokens.hash("wrong")))),
                Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.just(Optional.of(VERIFIER))),
                    Tuple.of(1, Arbitraries.just(Optional.<String>empty())),
                    Tuple.of(1, Arbitraries.just(Optional.of(VERIFIER.replace('d', 'x'))))),
                index)
            .as(
                (client, code, verifier, i) ->
                    new RedeemCode(
                        GRANT,
                        client,
                        code,
                        Optional.of(REDIRECT),
                        verifier,
                        jti(i),
                        Optional.of(refreshHash(i)),
                        TokenLifetimes.DEFAULT));
    Arbitrary<Optional<Scopes>> scopes =
        Arbitraries.of(
            Optional.<Scopes>empty(),
            Optional.of(Scopes.of("openid")),
            Optional.of(Scopes.of("openid", "admin")));
    Arbitrary<String> presented =
        Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.just(CURRENT)),
            Tuple.of(2, Arbitraries.integers().between(0, 4).map(GrantFixtures::refreshHash)),
            Tuple.of(1, Arbitraries.just(GrantTokens.hash("guess"))));
    Arbitrary<GrantCommand> refresh =
        Combinators.combine(
                clients,
                presented,
                index,
                scopes,
                Arbitraries.of(Duration.ZERO, Duration.ofSeconds(20)))
            .as(
                (client, hash, next, s, grace) ->
                    new Refresh(
                        GRANT,
                        client,
                        hash,
                        s,
                        refreshHash(next),
                        jti(next),
                        TokenLifetimes.DEFAULT,
                        grace));
    Arbitrary<GrantCommand> revoke =
        Combinators.combine(Arbitraries.of(RevocationReason.class), clients)
            .as(
                (reason, client) ->
                    new RevokeGrant(GRANT, reason, "client:" + client, Optional.of(client)));
    Arbitrary<GrantCommand> revokeToken =
        Combinators.combine(index, clients)
            .as(
                (i, client) ->
                    new RevokeAccessToken(
                        GRANT,
                        jti(i),
                        "client:" + client,
                        Optional.of(client),
                        // Filled in from the events when the step runs (resolve).
                        Optional.empty()));
    return Arbitraries.frequencyOf(
        Tuple.of(1, issue),
        Tuple.of(3, redeem),
        Tuple.of(10, refresh),
        Tuple.of(1, revoke),
        Tuple.of(1, revokeToken));
  }
}
