package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * A snapshot is the fold of its stream up to its version: for random histories driven through the
 * decider as the handlers drive it (rotations minutes to days apart, narrowed scopes, access tokens
 * revoked, grace retries, reuse that revokes the grant, an administrator's revocation), the state
 * decoded from a snapshot taken after any prefix of the history, folded on with the events after
 * it, equals the fold of the whole history. Snapshots of the previous format (which listed the
 * grant's access tokens) read as the same state.
 */
class GrantSnapshotCodecTest {

  /** One step of a history: a command kind and the randomness it uses. */
  record Step(int kind, int pick, long seconds) {}

  @Provide
  Arbitrary<List<Step>> histories() {
    Arbitrary<Step> step =
        Combinators.combine(
                Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 1000),
                Arbitraries.longs().between(0, 3 * 24 * 3600))
            .as(Step::new);
    return step.list().ofMinSize(0).ofMaxSize(60);
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.FIRST)
  void snapshotPlusTailEqualsTheFullFold(
      @ForAll("histories") List<Step> steps, @ForAll boolean device) {
    List<GrantEvent> events = history(steps, device);
    GrantState full = GrantDecider.replay(events);
    for (int split = 1; split <= events.size(); split++) {
      GrantState prefix = GrantDecider.replay(events.subList(0, split));
      Optional<GrantState> decoded = GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(prefix));
      assertThat(decoded).as("snapshot after %d events", split).contains(prefix);
      GrantState state = decoded.orElseThrow();
      for (GrantEvent e : events.subList(split, events.size())) {
        state = GrantDecider.evolve(state, e);
      }
      assertThat(state)
          .as("snapshot after %d of %d events + tail", split, events.size())
          .isEqualTo(full);
    }
  }

  @Property(tries = 100, edgeCases = EdgeCasesMode.FIRST)
  void aSnapshotOfThePreviousFormatReadsAsTheStateWithoutItsAccessTokens(
      @ForAll("histories") List<Step> steps,
      @ForAll boolean device,
      @ForAll @IntRange(min = 0, max = 400) int tokens) {
    List<GrantEvent> events = history(steps, device);
    for (int split = 1; split <= events.size(); split++) {
      GrantState prefix = GrantDecider.replay(events.subList(0, split));
      byte[] old = GrantSnapshotCodec.encode(prefix, GrantSnapshotCodec.PREVIOUS, tokens);
      assertThat(old[0]).isEqualTo((byte) 4);
      assertThat(GrantSnapshotCodec.decode(old)).as("after %d events", split).contains(prefix);
      assertThat(GrantSnapshotCodec.decode(Arrays.copyOf(old, old.length - 1))).isEmpty();
    }
  }

  @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
  void bytesOfAnotherFormatOrCutShortAreIgnored(
      @ForAll("histories") List<Step> steps, @ForAll @IntRange(min = 0, max = 10_000) int cut) {
    List<GrantEvent> events = history(steps, false);
    byte[] bytes = GrantSnapshotCodec.encode(GrantDecider.replay(events));
    byte[] other = bytes.clone();
    other[0] = (byte) (GrantSnapshotCodec.FORMAT + 1);
    assertThat(GrantSnapshotCodec.decode(other)).isEmpty();
    other[0] = (byte) (GrantSnapshotCodec.PREVIOUS - 1);
    assertThat(GrantSnapshotCodec.decode(other)).isEmpty();
    byte[] shorter = Arrays.copyOf(bytes, cut % bytes.length);
    assertThat(GrantSnapshotCodec.decode(shorter)).isEmpty();
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    assertThat(GrantSnapshotCodec.decode(longer)).isEmpty();
  }

  @Example
  void aClientCredentialsGrantAndARevokedOneRoundTrip() {
    GrantState cc =
        GrantFixtures.apply(
            GrantState.initial(),
            new GrantCommand.IssueClientCredentials(
                "g-cc",
                CLIENT,
                GrantTokens.jti("g-cc", "a"),
                Scopes.of("api"),
                Duration.ofHours(1)),
            T0);
    assertThat(GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(cc))).contains(cc);
    GrantState code = GrantFixtures.codeIssued();
    assertThat(GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(code))).contains(code);
    GrantState revoked =
        GrantFixtures.apply(
            code,
            new RevokeGrant(GRANT, RevocationReason.ADMIN, "admin", Optional.empty()),
            T0.plusSeconds(1));
    assertThat(GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(revoked))).contains(revoked);
    assertThat(GrantSnapshotCodec.decode(new byte[0])).isEmpty();
    for (GrantState device :
        List.of(
            GrantFixtures.deviceRequested(),
            GrantFixtures.deviceApproved(),
            GrantFixtures.apply(
                GrantFixtures.deviceRequested(),
                GrantFixtures.answerDevice(false),
                T0.plusSeconds(20)),
            GrantFixtures.apply(
                GrantFixtures.deviceApproved(),
                new RevokeGrant(GRANT, RevocationReason.USER_DISABLED, "admin", Optional.empty()),
                T0.plusSeconds(21)),
            GrantFixtures.deviceActive())) {
      assertThat(GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(device))).contains(device);
    }
    assertThat(GrantSnapshotCodec.decode(null)).isEmpty();
  }

  /**
   * The events of a code issued and redeemed at T0 (or, with {@code device}, of a device
   * authorization requested, approved and redeemed), then the steps decided in turn (a refused step
   * adds nothing): 0-5 a rotation with the current token (some narrowing the scopes), 6 a retry of
   * the latest rotation within a grace period, 7 an access token revoked, 8 an old refresh token
   * presented again (reuse: the grant is revoked), 9 a revocation by an administrator (rarely).
   */
  static List<GrantEvent> history(List<Step> steps, boolean device) {
    List<GrantEvent> events = new ArrayList<>();
    GrantState state = GrantState.initial();
    if (device) {
      state = add(events, state, GrantFixtures.requestDevice(), T0);
      state = add(events, state, GrantFixtures.answerDevice(true), T0.plusSeconds(3));
      state = add(events, state, GrantFixtures.pollDevice(), T0.plusSeconds(5));
    } else {
      state = add(events, state, GrantFixtures.issueCode(), T0);
      state = add(events, state, GrantFixtures.redeem(), T0.plusSeconds(5));
    }
    Instant now = T0.plusSeconds(5);
    int rotations = 0;
    List<String> jtis = new ArrayList<>(List.of(jti(0)));
    // What the token-state projection knows of each access token, for a revocation to decide on.
    Map<String, GrantCommand.IssuedAccessToken> issued = new HashMap<>();
    events.forEach(e -> track(issued, e));
    for (Step s : steps) {
      now = now.plusSeconds(s.seconds());
      GrantCommand c;
      switch (s.kind()) {
        case 0, 1, 2, 3, 4, 5 -> {
          Optional<Scopes> narrower =
              s.kind() == 5 ? Optional.of(Scopes.of("openid", "offline_access")) : Optional.empty();
          int next = rotations + 1;
          c =
              new Refresh(
                  GRANT,
                  CLIENT,
                  refreshHash(rotations),
                  narrower,
                  refreshHash(next),
                  jti(next),
                  TokenLifetimes.DEFAULT,
                  Duration.ZERO,
                  false);
        }
        case 6 -> {
          if (rotations == 0) {
            continue;
          }
          c =
              new Refresh(
                  GRANT,
                  CLIENT,
                  refreshHash(rotations - 1),
                  Optional.empty(),
                  refreshHash(rotations),
                  jti(rotations),
                  TokenLifetimes.DEFAULT,
                  Duration.ofSeconds(60),
                  true);
        }
        case 7 ->
            c =
                new RevokeAccessToken(
                    GRANT,
                    jtis.get(s.pick() % jtis.size()),
                    "client:" + CLIENT,
                    Optional.of(CLIENT),
                    Optional.ofNullable(issued.get(jtis.get(s.pick() % jtis.size()))));
        case 8 -> {
          if (rotations == 0 || s.pick() % 4 != 0) {
            continue;
          }
          c =
              new Refresh(
                  GRANT,
                  CLIENT,
                  refreshHash(s.pick() % rotations),
                  Optional.empty(),
                  refreshHash(1000 + s.pick()),
                  jti(1000 + s.pick()),
                  TokenLifetimes.DEFAULT,
                  Duration.ZERO,
                  true);
        }
        default -> {
          if (s.pick() % 8 != 0) {
            continue;
          }
          c = new RevokeGrant(GRANT, RevocationReason.ADMIN, "admin", Optional.empty());
        }
      }
      Decision<GrantEvent> d = GrantDecider.decide(state, c, now);
      if (!d.isAccepted() || d.events().isEmpty()) {
        continue;
      }
      for (GrantEvent e : d.events()) {
        events.add(e);
        state = GrantDecider.evolve(state, e);
        track(issued, e);
        if (e instanceof RefreshTokenRotated r) {
          rotations++;
          jtis.add(r.accessTokenJti());
        }
      }
    }
    return events;
  }

  /** What an event does to the access tokens the token-state projection holds. */
  static void track(Map<String, GrantCommand.IssuedAccessToken> issued, GrantEvent e) {
    GrantAccessTokens.issuedBy(e)
        .ifPresent(
            t ->
                issued.putIfAbsent(
                    t.jti(), new GrantCommand.IssuedAccessToken(t.expiresAt(), false)));
    if (e instanceof AccessTokenRevoked r && issued.containsKey(r.jti())) {
      issued.put(
          r.jti(), new GrantCommand.IssuedAccessToken(issued.get(r.jti()).expiresAt(), true));
    }
  }

  private static GrantState add(
      List<GrantEvent> events, GrantState state, GrantCommand c, Instant now) {
    Decision<GrantEvent> d = GrantDecider.decide(state, c, now);
    assertThat(d.isAccepted()).as("%s", d).isTrue();
    for (GrantEvent e : d.events()) {
      events.add(e);
      state = GrantDecider.evolve(state, e);
    }
    return state;
  }
}
