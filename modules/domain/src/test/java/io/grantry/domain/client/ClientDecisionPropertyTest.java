package io.grantry.domain.client;

import static io.grantry.domain.client.ClientFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.client.ClientCommand.Disable;
import io.grantry.domain.client.ClientCommand.Register;
import io.grantry.domain.client.ClientCommand.RotateSecret;
import io.grantry.domain.client.ClientCommand.Update;
import io.grantry.domain.client.ClientState.Registered;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

class ClientDecisionPropertyTest {

  // Edge cases are off: combined edge cases outnumber the tries and would crowd out the random
  // sequences, leaving only one-command lists.

  /**
   * For any sequence of commands, valid or not: decide never throws; the events it accepts evolve
   * the state without error; and the state folded from the events after a trip through the codec is
   * the state folded from the events themselves.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void decidedEventsEvolveAndSurviveTheCodec(
      @ForAll("commandSequences") List<ClientCommand> commands) {
    ClientState state = ClientState.initial();
    List<ClientEvent> written = new ArrayList<>();
    Instant now = T0;
    for (ClientCommand command : commands) {
      now = now.plusSeconds(30);
      Decision<ClientEvent> decision = ClientDecider.decide(state, command, now);
      if (decision.isAccepted()) {
        for (ClientEvent e : decision.events()) {
          state = ClientDecider.evolve(state, e);
          written.add(e);
        }
      }
      assertInvariants(state, now);
    }
    List<ClientEvent> decoded = new ArrayList<>();
    for (ClientEvent e : written) {
      decoded.add(
          ClientEventCodec.INSTANCE.fromJson(e.type(), ClientEventCodec.INSTANCE.toJson(e)));
    }
    Statistics.label("events written")
        .collect(written.size() > 2 ? "3+" : String.valueOf(written.size()));
    Statistics.label("event types")
        .collect(written.stream().map(ClientEvent::type).distinct().count());
    assertThat(decoded).isEqualTo(written);
    assertThat(ClientDecider.replay(decoded)).isEqualTo(state);
  }

  /** A register command that is accepted leaves exactly the registered metadata in the state. */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void registerThenEvolveYieldsTheRegisteredClient(@ForAll("registrations") Register command) {
    Decision<ClientEvent> decision = ClientDecider.decide(ClientState.initial(), command, T0);
    boolean secretFits =
        command.metadata().type() == ClientType.PUBLIC
            ? command.secretHash().isEmpty()
            : command.secretHash().filter(h -> h.startsWith("hmac-sha256$")).isPresent();
    assertThat(decision.isAccepted())
        .isEqualTo(ClientDecider.problemWith(command.metadata()).isEmpty() && secretFits);
    Statistics.label("accepted").collect(decision.isAccepted());
    if (decision.isAccepted()) {
      Registered state = (Registered) ClientDecider.replay(decision.events());
      assertThat(state.metadata()).isEqualTo(command.metadata());
      assertThat(state.secretHash()).isEqualTo(command.secretHash());
    }
  }

  private static void assertInvariants(ClientState state, Instant now) {
    if (state instanceof Registered r) {
      assertThat(r.metadata().type() == ClientType.PUBLIC).isEqualTo(r.secretHash().isEmpty());
      assertThat(r.acceptedSecretHashes(now)).hasSizeLessThanOrEqualTo(2);
      assertThat(ClientDecider.problemWith(r.metadata())).isEmpty();
    }
  }

  @Provide
  Arbitrary<List<ClientCommand>> commandSequences() {
    return command().list().ofMinSize(1).ofMaxSize(8);
  }

  @Provide
  Arbitrary<Register> registrations() {
    Arbitrary<ClientMetadata> metadata =
        Arbitraries.frequencyOf(Tuple.of(4, validMetadata()), Tuple.of(1, metadata()));
    return Combinators.combine(metadata, secretHash(), Arbitraries.integers().between(0, 9))
        .as((m, h, dice) -> new Register("c1", m, dice < 8 ? fittingSecret(m) : h));
  }

  private static Optional<String> fittingSecret(ClientMetadata m) {
    return m.type() == ClientType.PUBLIC ? Optional.empty() : Optional.of(ClientFixtures.HASH_1);
  }

  private Arbitrary<ClientCommand> command() {
    Arbitrary<ClientCommand> register = registrations().map(c -> c);
    Arbitrary<ClientCommand> update =
        Arbitraries.frequencyOf(Tuple.of(4, validMetadata()), Tuple.of(1, metadata()))
            .map(m -> new Update("c1", m));
    Arbitrary<ClientCommand> rotate =
        Combinators.combine(
                Arbitraries.of(
                    ClientFixtures.HASH_1, ClientFixtures.HASH_2, "hmac-sha256$bmV3", "raw-secret"),
                Arbitraries.longs().between(-10, 40 * 24 * 3600))
            .as((h, s) -> new RotateSecret("c1", h, Duration.ofSeconds(s)));
    Arbitrary<ClientCommand> disable = Arbitraries.just(new Disable("c1"));
    return Arbitraries.frequencyOf(
        Tuple.of(3, register), Tuple.of(3, update),
        Tuple.of(3, rotate), Tuple.of(1, disable));
  }

  private Arbitrary<Optional<String>> secretHash() {
    return Arbitraries.of(
        Optional.of(ClientFixtures.HASH_1),
        Optional.empty(),
        Optional.of(ClientFixtures.HASH_1),
        Optional.of("not-a-hash"));
  }

  /** Metadata that satisfies every registration rule, in varied shapes. */
  private Arbitrary<ClientMetadata> validMetadata() {
    Arbitrary<List<String>> uris =
        Arbitraries.of(
                "https://app.example.com/cb",
                "http://127.0.0.1/cb",
                "com.example.app:/cb",
                "http://localhost:8080/cb",
                "https://app.example.com/cb?x=1",
                "http://[::1]:4000/")
            .list()
            .ofMinSize(1)
            .ofMaxSize(3);
    Arbitrary<Scopes> scopes =
        Arbitraries.of("openid", "profile", "offline_access", "api:read")
            .set()
            .ofMaxSize(4)
            .map(Scopes::of);
    Arbitrary<ClientMetadata> publicClients =
        Combinators.combine(
                uris, scopes, Arbitraries.of(true, false), Arbitraries.of(SigningAlgorithm.class))
            .as(
                (u, sc, refresh, alg) ->
                    ClientMetadata.builder("Native", ClientType.PUBLIC)
                        .redirectUris(u)
                        .allowedScopes(sc)
                        .accessTokenSigningAlg(alg)
                        .grantTypes(
                            refresh
                                ? List.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
                                : List.of(GrantType.AUTHORIZATION_CODE))
                        .build());
    Arbitrary<List<GrantType>> confidentialGrants =
        Arbitraries.of(
            List.of(GrantType.AUTHORIZATION_CODE),
                List.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN),
            List.of(GrantType.CLIENT_CREDENTIALS), List.of(GrantType.values()));
    Arbitrary<ClientMetadata> confidentialClients =
        Combinators.combine(
                uris,
                scopes,
                confidentialGrants,
                Arbitraries.of(
                    TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
                    TokenEndpointAuthMethod.CLIENT_SECRET_POST),
                Arbitraries.of(true, false),
                Arbitraries.of(true, false),
                Arbitraries.of(AccessTokenFormat.class))
            .as(
                (u, sc, g, method, skip, introspect, format) ->
                    ClientMetadata.builder("Web", ClientType.CONFIDENTIAL)
                        .redirectUris(u)
                        .allowedScopes(sc)
                        .grantTypes(g)
                        .tokenEndpointAuthMethod(method)
                        .skipConsent(skip)
                        .introspect(introspect)
                        .accessTokenFormat(format)
                        .build());
    return Arbitraries.oneOf(publicClients, confidentialClients);
  }

  /** Metadata from loosely related parts: mostly invalid. */
  private Arbitrary<ClientMetadata> metadata() {
    Arbitrary<String> uri =
        Arbitraries.of(
            "https://app.example.com/cb",
            "http://127.0.0.1/cb",
            "com.example.app:/cb",
            "http://localhost:8080/cb",
            "https://app.example.com/cb#x",
            "http://app.example.com/cb",
            "myapp:/cb",
            "https://*.example.com/");
    return Builders.withBuilder(() -> ClientMetadata.builder("App", ClientType.CONFIDENTIAL))
        .use(Arbitraries.of("App", "Example Web", " ", ""))
        .in((b, v) -> b.name(v))
        .use(Arbitraries.of(ClientType.class))
        .in((b, v) -> b.type(v))
        .use(Arbitraries.of(TokenEndpointAuthMethod.class))
        .in((b, v) -> b.tokenEndpointAuthMethod(v))
        .use(uri.list().ofMaxSize(3))
        .in((b, v) -> b.redirectUris(v))
        .use(Arbitraries.of(GrantType.class).set().ofMaxSize(3))
        .in((b, v) -> b.grantTypes(v))
        .use(Arbitraries.of("openid", "profile", "offline_access", "api:read").set().ofMaxSize(4))
        .in((b, v) -> b.allowedScopes(Scopes.of(v)))
        .use(Arbitraries.of("https://app.example.com/logo.png", "javascript:x").optional())
        .in((b, v) -> b.logoUri(v.orElse(null)))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.skipConsent(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.introspect(v))
        .use(Arbitraries.of(AccessTokenFormat.class))
        .in((b, v) -> b.accessTokenFormat(v))
        .use(Arbitraries.of(SigningAlgorithm.class))
        .in((b, v) -> b.accessTokenSigningAlg(v))
        .build(ClientMetadata.Builder::build);
  }
}
