package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.OTHER_CLIENT;
import static io.grantry.domain.grant.GrantFixtures.SCOPES;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.USER;
import static io.grantry.domain.grant.GrantFixtures.active;
import static io.grantry.domain.grant.GrantFixtures.apply;
import static io.grantry.domain.grant.GrantFixtures.codeIssued;
import static io.grantry.domain.grant.GrantFixtures.decideRefresh;
import static io.grantry.domain.grant.GrantFixtures.error;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.oauthError;
import static io.grantry.domain.grant.GrantFixtures.refresh;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** RFC 6749 §6 with rotation, reuse detection and a sliding window (RFC 9700 §4.14.2). */
class RefreshDecisionTest {
  private static final Instant REDEEMED = T0.plusSeconds(5);

  private static Refresh refreshWith(
      String clientId, Optional<Scopes> scopes, Duration grace, String presented, int next) {
    return new Refresh(
        GRANT,
        clientId,
        presented,
        scopes,
        refreshHash(next),
        jti(next),
        TokenLifetimes.DEFAULT,
        grace);
  }

  private static OAuthError.Code code(Decision<GrantEvent> d) {
    return oauthError(d).code();
  }

  @Test
  void rotatesTheRefreshTokenAndIssuesAnAccessToken() {
    Instant now = REDEEMED.plus(Duration.ofDays(2));
    Decision<GrantEvent> d = GrantDecider.decide(active(), refresh(refreshHash(0), 1), now);
    assertThat(d.events())
        .containsExactly(
            new RefreshTokenRotated(
                GRANT,
                CLIENT,
                USER,
                refreshHash(0),
                refreshHash(1),
                jti(1),
                now.plus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(15)),
                SCOPES,
                now));
    Active a = (Active) GrantDecider.evolve(active(), d.events().get(0));
    assertThat(a.refreshToken().orElseThrow().hash()).isEqualTo(refreshHash(1));
    // The state keeps only the current token: the predecessor is for the handler to look up.
    assertThat(GrantDecider.needsIssuedLookup(a, refresh(refreshHash(0), 2))).isTrue();
    assertThat(GrantDecider.needsIssuedLookup(a, refresh(refreshHash(1), 2))).isFalse();
    assertThat(a.lastRotation()).contains((RefreshTokenRotated) d.events().get(0));
    // Nor does it keep access tokens (the token-state projection does): a rotation within the
    // first token's lifetime leaves a state like one two days later.
    Active soon = (Active) apply(active(), refresh(refreshHash(0), 1), REDEEMED.plusSeconds(60));
    assertThat(GrantSnapshotCodec.encode(soon)).hasSameSizeAs(GrantSnapshotCodec.encode(a));
  }

  @Test
  void theWindowSlidesWithEachRotation() {
    Instant day14 = REDEEMED.plus(Duration.ofDays(14));
    GrantState s = apply(active(), refresh(refreshHash(0), 1), day14);
    Instant day28 = day14.plus(Duration.ofDays(14));
    // Past the first token's window, inside the successor's.
    Active a = (Active) apply(s, refresh(refreshHash(1), 2), day28);
    assertThat(a.refreshToken().orElseThrow().expiresAt())
        .isEqualTo(day28.plus(Duration.ofDays(15)));
  }

  @Test
  void anExpiredRefreshTokenIsInvalidGrant() {
    Instant end = REDEEMED.plus(Duration.ofDays(15));
    assertThat(
            GrantDecider.decide(active(), refresh(refreshHash(0), 1), end.minusMillis(1))
                .isAccepted())
        .isTrue();
    Decision<GrantEvent> d = GrantDecider.decide(active(), refresh(refreshHash(0), 1), end);
    assertThat(code(d)).isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(oauthError(d).description()).contains("expired");
  }

  @Test
  void aRefreshTokenIsBoundToItsClient() {
    Decision<GrantEvent> d =
        GrantDecider.decide(
            active(),
            refreshWith(OTHER_CLIENT, Optional.empty(), Duration.ZERO, refreshHash(0), 1),
            REDEEMED);
    assertThat(code(d)).isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(oauthError(d).description()).contains("another client");
    // Even a rotated token presented by another client revokes nothing: it cannot end someone
    // else's grant.
    GrantState rotated = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    assertThat(
            code(
                GrantDecider.decide(
                    rotated,
                    refreshWith(OTHER_CLIENT, Optional.empty(), Duration.ZERO, refreshHash(0), 2),
                    REDEEMED)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
  }

  @Test
  void aRequestMayNarrowTheScopeButNeverWidenIt() {
    Decision<GrantEvent> wider =
        GrantDecider.decide(
            active(),
            refreshWith(
                CLIENT,
                Optional.of(Scopes.of("openid", "admin")),
                Duration.ZERO,
                refreshHash(0),
                1),
            REDEEMED);
    assertThat(code(wider)).isEqualTo(OAuthError.Code.INVALID_SCOPE);
    assertThat(oauthError(wider).description()).contains("admin").doesNotContain("openid");

    Active narrowed =
        (Active)
            apply(
                active(),
                refreshWith(
                    CLIENT, Optional.of(Scopes.of("openid")), Duration.ZERO, refreshHash(0), 1),
                REDEEMED);
    assertThat(narrowed.lastRotation().orElseThrow().scopes()).isEqualTo(Scopes.of("openid"));
    assertThat(narrowed.scopes()).isEqualTo(SCOPES);
    // The refresh token keeps the grant's scopes: the next refresh may ask for all of them again.
    Active full = (Active) apply(narrowed, refresh(refreshHash(1), 2), REDEEMED);
    assertThat(full.lastRotation().orElseThrow().scopes()).isEqualTo(SCOPES);
  }

  @Test
  void anEmptyScopeMeansTheGrantedScope() {
    Active a =
        (Active)
            apply(
                active(),
                refreshWith(CLIENT, Optional.of(Scopes.empty()), Duration.ZERO, refreshHash(0), 1),
                REDEEMED);
    assertThat(a.lastRotation().orElseThrow().scopes()).isEqualTo(SCOPES);
  }

  @Test
  void presentingARotatedTokenRevokesTheGrant() {
    GrantState s = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    Instant later = REDEEMED.plusSeconds(60);
    // Not known to be the grant's: only refused, nothing changes.
    assertThat(code(GrantDecider.decide(s, refresh(refreshHash(0), 2), later)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    Decision<GrantEvent> d = decideRefresh(s, refresh(refreshHash(0), 2), later, true);
    assertThat(d.events())
        .containsExactly(
            new RefreshTokenReuseDetected(GRANT, CLIENT, refreshHash(0), later),
            new GrantRevoked(
                GRANT, RevocationReason.REFRESH_REUSE, GrantDecider.SYSTEM_ACTOR, later));
    assertThat(GrantDecider.refusalIn(d.events()).orElseThrow().code())
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    GrantState revoked = GrantDecider.replay(concat(s, d));
    assertThat(revoked).isInstanceOf(Revoked.class);
    // The current token dies with the grant.
    assertThat(code(GrantDecider.decide(revoked, refresh(refreshHash(1), 3), later)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(decideRefresh(revoked, refresh(refreshHash(0), 3), later, true).isAccepted())
        .isFalse();
    assertThat(
            GrantDecider.decide(revoked, refresh(refreshHash(0), 3).issuedByGrant(), later)
                .isAccepted())
        .isFalse();
  }

  @Test
  void anUnknownTokenForAKnownGrantChangesNothing() {
    Decision<GrantEvent> d =
        GrantDecider.decide(active(), refresh(GrantTokens.hash("guess"), 1), REDEEMED);
    assertThat(code(d)).isEqualTo(OAuthError.Code.INVALID_GRANT);
  }

  @Test
  void noRefreshOnAnUnknownAnUnredeemedOrARevokedGrant() {
    assertThat(code(GrantDecider.decide(GrantState.initial(), refresh(refreshHash(0), 1), T0)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(code(GrantDecider.decide(codeIssued(), refresh(refreshHash(0), 1), T0)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    GrantState revoked =
        apply(
            active(),
            new RevokeGrant(GRANT, RevocationReason.ADMIN, "admin:root", Optional.empty()),
            T0);
    assertThat(code(GrantDecider.decide(revoked, refresh(refreshHash(0), 1), T0)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
  }

  @Test
  void theAbsoluteCapEndsRefreshing() {
    GrantCommand.RedeemCode r = GrantFixtures.redeem();
    TokenLifetimes capped =
        new TokenLifetimes(
            Duration.ofHours(1), Duration.ofDays(15), Optional.of(Duration.ofDays(1)));
    GrantState s =
        apply(
            codeIssued(),
            new GrantCommand.RedeemCode(
                r.grantId(),
                r.clientId(),
                r.codeHash(),
                r.redirectUri(),
                r.codeVerifier(),
                r.accessTokenJti(),
                r.refreshTokenHash(),
                capped),
            REDEEMED);
    Instant cap = REDEEMED.plus(Duration.ofDays(1));
    Active a = (Active) apply(s, refresh(refreshHash(0), 1), cap.minusSeconds(10));
    assertThat(a.refreshToken().orElseThrow().expiresAt()).isEqualTo(cap);
    assertThat(a.lastRotation().orElseThrow().accessTokenExpiresAt()).isEqualTo(cap);
    assertThat(code(GrantDecider.decide(a, refresh(refreshHash(1), 2), cap)))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
  }

  @Test
  void theSuccessorHashAndJtiMustBeNew() {
    GrantState s = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    // The current token as its own successor. (An older hash as the successor is not caught here:
    // the
    // state keeps only the current token, and the handler derives each successor from a fresh
    // secret.)
    Refresh back =
        new Refresh(
            GRANT,
            CLIENT,
            refreshHash(1),
            Optional.empty(),
            refreshHash(1),
            jti(2),
            TokenLifetimes.DEFAULT,
            Duration.ZERO);
    assertThat(((ValidationError) error(GrantDecider.decide(s, back, REDEEMED))).field())
        .isEqualTo("new_refresh_token_hash");
    Refresh sameJti =
        new Refresh(
            GRANT,
            CLIENT,
            refreshHash(1),
            Optional.empty(),
            refreshHash(2),
            jti(1),
            TokenLifetimes.DEFAULT,
            Duration.ZERO);
    assertThat(((ValidationError) error(GrantDecider.decide(s, sameJti, REDEEMED))).field())
        .isEqualTo("jti");
  }

  // ---------------------------------------------------------------- grace

  /** Long enough for a client to retry a refresh whose response it lost. */
  private static final Duration GRACE = Duration.ofSeconds(10);

  @Test
  void withinGraceARetryWithThePredecessorGetsTheSameSuccessor() {
    GrantState s = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    Decision<GrantEvent> retry =
        decideRefresh(
            s,
            refreshWith(CLIENT, Optional.empty(), GRACE, refreshHash(0), 1),
            REDEEMED.plus(GRACE).minusMillis(1),
            true);
    assertThat(retry).isEqualTo(Decision.unchanged());
    RefreshTokenRotated successor = ((Active) s).lastRotation().orElseThrow();
    assertThat(successor.newHash()).isEqualTo(refreshHash(1));
    assertThat(successor.accessTokenJti()).isEqualTo(jti(1));
  }

  @Test
  void afterGraceTheRetryIsReuse() {
    GrantState s = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    Decision<GrantEvent> d =
        decideRefresh(
            s,
            refreshWith(CLIENT, Optional.empty(), GRACE, refreshHash(0), 1),
            REDEEMED.plus(GRACE),
            true);
    assertThat(d.events()).hasSize(2).first().isInstanceOf(RefreshTokenReuseDetected.class);
  }

  @Test
  void graceNeedsTheSameSuccessorTheSameScopeAndTheImmediatePredecessor() {
    GrantState s = apply(active(), refresh(refreshHash(0), 1), REDEEMED);
    Instant soon = REDEEMED.plusSeconds(1);
    // A successor the handler cannot re-create: it could not return the token the lost response
    // held.
    assertThat(
            decideRefresh(
                    s, refreshWith(CLIENT, Optional.empty(), GRACE, refreshHash(0), 9), soon, true)
                .events())
        .hasSize(2);
    assertThat(
            decideRefresh(
                    s,
                    refreshWith(CLIENT, Optional.of(Scopes.of("openid")), GRACE, refreshHash(0), 1),
                    soon,
                    true)
                .events())
        .hasSize(2);
    GrantState twice = apply(s, refresh(refreshHash(1), 2), soon);
    assertThat(
            decideRefresh(
                    twice,
                    refreshWith(CLIENT, Optional.empty(), GRACE, refreshHash(0), 1),
                    soon,
                    true)
                .events())
        .hasSize(2);
    // Grace zero: always reuse.
    assertThat(
            decideRefresh(
                    s,
                    refreshWith(CLIENT, Optional.empty(), Duration.ZERO, refreshHash(0), 1),
                    soon,
                    true)
                .events())
        .hasSize(2);
  }

  @Test
  void graceIsBounded() {
    Decision<GrantEvent> d =
        GrantDecider.decide(
            active(),
            refreshWith(
                CLIENT,
                Optional.empty(),
                GrantDecider.MAX_REFRESH_GRACE.plusSeconds(1),
                refreshHash(0),
                1),
            REDEEMED);
    assertThat(((ValidationError) error(d)).field()).isEqualTo("grace");
    assertThat(
            ((ValidationError)
                    error(
                        GrantDecider.decide(
                            active(),
                            refreshWith(
                                CLIENT,
                                Optional.empty(),
                                Duration.ofSeconds(-1),
                                refreshHash(0),
                                1),
                            REDEEMED)))
                .field())
        .isEqualTo("grace");
  }

  @Test
  void aGrantWithThousandsOfRotationsStillDetectsReuseOfItsFirstToken() {
    // Folded from its events, as a refresh loads it. The state keeps only the current token; which
    // hashes the grant issued is what the handler's lookup finds, here read off the same events.
    int rotations = 5000;
    List<GrantEvent> events = new ArrayList<>();
    events.add(
        GrantDecider.decide(GrantState.initial(), GrantFixtures.issueCode(), T0).events().get(0));
    events.addAll(GrantDecider.decide(codeIssued(), GrantFixtures.redeem(), REDEEMED).events());
    GrantState s = GrantDecider.replay(events);
    Instant now = REDEEMED;
    for (int i = 0; i < rotations; i++) {
      now = now.plusSeconds(1);
      Decision<GrantEvent> d = GrantDecider.decide(s, refresh(refreshHash(i), i + 1), now);
      assertThat(d.events()).hasSize(1);
      events.addAll(d.events());
      s = GrantDecider.evolve(s, d.events().get(0));
    }
    Active folded = (Active) GrantDecider.replay(events);
    assertThat(folded).isEqualTo(s);
    // Its state keeps nothing that grows with its history: 5000 rotations within an hour, every
    // access token still live, and its snapshot is as large as after the first rotation.
    Active first = (Active) GrantDecider.replay(events.subList(0, events.size() - rotations + 1));
    assertThat(GrantSnapshotCodec.encode(folded).length)
        .isLessThanOrEqualTo(GrantSnapshotCodec.encode(first).length + 8);
    assertThat(folded.refreshToken().orElseThrow().hash()).isEqualTo(refreshHash(rotations));
    Set<String> issued = new HashSet<>();
    for (GrantEvent e : events) {
      if (e instanceof AuthorizationCodeRedeemed r) {
        r.refreshTokenHash().ifPresent(issued::add);
      } else if (e instanceof RefreshTokenRotated r) {
        issued.add(r.newHash());
      }
    }
    assertThat(issued).hasSize(rotations + 1);
    for (int presented : new int[] {0, 1, rotations / 2, rotations - 1}) {
      String hash = refreshHash(presented);
      Decision<GrantEvent> reuse =
          decideRefresh(folded, refresh(hash, rotations + 1), now, issued.contains(hash));
      assertThat(reuse.events()).as("presenting rotated token %d", presented).hasSize(2);
      assertThat(reuse.events().get(0))
          .isEqualTo(new RefreshTokenReuseDetected(GRANT, CLIENT, refreshHash(presented), now));
      assertThat(reuse.events().get(1)).isInstanceOf(GrantRevoked.class);
    }
    // The current one still rotates; a hash the grant never issued is only invalid.
    assertThat(
            GrantDecider.decide(folded, refresh(refreshHash(rotations), rotations + 1), now)
                .events())
        .hasSize(1);
    assertThat(
            code(
                decideRefresh(
                    folded,
                    refresh(refreshHash(rotations + 7), rotations + 8),
                    now,
                    issued.contains(refreshHash(rotations + 7)))))
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
  }

  private static List<GrantEvent> concat(GrantState s, Decision<GrantEvent> d) {
    List<GrantEvent> all = new ArrayList<>();
    all.add(
        GrantDecider.decide(GrantState.initial(), GrantFixtures.issueCode(), T0).events().get(0));
    all.addAll(GrantDecider.decide(codeIssued(), GrantFixtures.redeem(), REDEEMED).events());
    all.add(((Active) s).lastRotation().orElseThrow());
    all.addAll(d.events());
    return all;
  }
}
