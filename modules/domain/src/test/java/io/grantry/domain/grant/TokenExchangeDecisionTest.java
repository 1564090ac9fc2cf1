package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.grant.GrantCommand.ExchangeToken;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.oauth.OAuthError.Code;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * RFC 8693 as Grantry decides it, a table of requests and answers: whose tokens a client may
 * exchange, delegation and impersonation, scope, audience and resource, the token asked for, and
 * the chain of grants the new one descends from.
 */
class TokenExchangeDecisionTest {
  static final String NEW = "x-new";
  static final String SERVICE = "svc-b";
  static final Instant IN_AN_HOUR = T0.plusSeconds(3600);

  /** Alice's access token, issued to the web app and meant for service B (its audience). */
  static final PresentedToken ALICE =
      new PresentedToken(
          TokenType.ACCESS_TOKEN,
          "g-web",
          "web",
          "alice",
          Optional.of("alice"),
          Scopes.of("openid", "orders.read", "orders.write"),
          List.of(SERVICE),
          Optional.empty(),
          List.of(),
          IN_AN_HOUR);

  /** Service B's own client_credentials token. */
  static final PresentedToken B_ITSELF =
      new PresentedToken(
          TokenType.ACCESS_TOKEN,
          "cc-b",
          SERVICE,
          SERVICE,
          Optional.empty(),
          Scopes.of("orders.read"),
          List.of(),
          Optional.empty(),
          List.of(),
          T0.plusSeconds(1800));

  static final TokenExchangeMetadata DELEGATION =
      new TokenExchangeMetadata(List.of("https://orders.example", "billing"), false, false);

  static ExchangeToken request(
      TokenExchangeMetadata policy,
      PresentedToken subject,
      Optional<PresentedToken> actor,
      Optional<Scopes> scope,
      List<String> audiences,
      List<String> resources,
      TokenType requested) {
    return new ExchangeToken(
        NEW,
        SERVICE,
        Scopes.of("openid", "orders.read", "orders.write", "billing.read"),
        policy,
        subject,
        actor,
        scope,
        audiences,
        resources,
        requested,
        GrantTokens.jti(NEW, "a1"),
        GrantTokens.hash("refresh-secret"),
        TokenLifetimes.DEFAULT);
  }

  /** Service B, acting for Alice with its own token, asking for nothing in particular. */
  static ExchangeToken delegation() {
    return request(
        DELEGATION,
        ALICE,
        Optional.of(B_ITSELF),
        Optional.empty(),
        List.of(),
        List.of(),
        TokenType.ACCESS_TOKEN);
  }

  record Row(String what, UnaryOperator<ExchangeToken> change, Code refused) {}

  static ExchangeToken with(ExchangeToken c, Optional<Scopes> scope) {
    return request(
        c.policy(),
        c.subjectToken(),
        c.actorToken(),
        scope,
        c.audiences(),
        c.resources(),
        c.requestedTokenType());
  }

  static PresentedToken issuedTo(String clientId, List<String> audiences, Instant expires) {
    return new PresentedToken(
        TokenType.ACCESS_TOKEN,
        "g-web",
        clientId,
        "alice",
        Optional.of("alice"),
        ALICE.scopes(),
        audiences,
        Optional.empty(),
        List.of(),
        expires);
  }

  static final List<Row> TABLE =
      List.of(
          new Row("a delegation of a token meant for the client", c -> c, null),
          new Row(
              "a token issued to another client, not naming this one",
              c ->
                  request(
                      c.policy(),
                      issuedTo("web", List.of(), IN_AN_HOUR),
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_GRANT),
          new Row(
              "a token issued to the client itself",
              c ->
                  request(
                      c.policy(),
                      issuedTo(SERVICE, List.of(), IN_AN_HOUR),
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              null),
          new Row(
              "an expired subject token",
              c ->
                  request(
                      c.policy(),
                      issuedTo(SERVICE, List.of(), T0),
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_GRANT),
          new Row(
              "an actor token of another client",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      Optional.of(issuedTo("web", List.of(), IN_AN_HOUR)),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_GRANT),
          new Row(
              "no actor token, the client not registered for impersonation",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      Optional.empty(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_REQUEST),
          new Row(
              "no actor token, the client's own token (for another audience)",
              c ->
                  request(
                      c.policy(),
                      issuedTo(SERVICE, List.of(), IN_AN_HOUR),
                      Optional.empty(),
                      Optional.empty(),
                      List.of("billing"),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              null),
          new Row(
              "no actor token, the client registered for impersonation",
              c ->
                  request(
                      new TokenExchangeMetadata(List.of(), true, false),
                      ALICE,
                      Optional.empty(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              null),
          new Row("a narrower scope", c -> with(c, Optional.of(Scopes.of("orders.read"))), null),
          new Row(
              "a scope wider than the subject token's",
              c -> with(c, Optional.of(Scopes.of("orders.read", "billing.read"))),
              Code.INVALID_SCOPE),
          new Row(
              "a scope the client may not ask for",
              c -> with(c, Optional.of(Scopes.of("orders.read", "orders.delete"))),
              Code.INVALID_SCOPE),
          new Row(
              "a registered audience and resource",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of("billing"),
                      List.of("https://orders.example"),
                      TokenType.ACCESS_TOKEN),
              null),
          new Row(
              "an audience not registered",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of("payroll"),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_TARGET),
          new Row(
              "a resource that is not an absolute URI",
              c ->
                  request(
                      new TokenExchangeMetadata(List.of("billing"), false, false),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of("billing"),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_TARGET),
          new Row(
              "a resource with a fragment",
              c ->
                  request(
                      new TokenExchangeMetadata(List.of("https://orders.example#x"), false, false),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of("https://orders.example#x"),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_TARGET),
          new Row(
              "a refresh token, not registered for it",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.REFRESH_TOKEN),
              Code.INVALID_REQUEST),
          new Row(
              "a refresh token, registered for it",
              c ->
                  request(
                      new TokenExchangeMetadata(List.of(), false, true),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.REFRESH_TOKEN),
              null),
          new Row(
              "a refresh token for a client acting for itself",
              c ->
                  request(
                      new TokenExchangeMetadata(List.of(), true, true),
                      B_ITSELF,
                      Optional.empty(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.REFRESH_TOKEN),
              Code.INVALID_REQUEST),
          new Row(
              "an ID token asked for",
              c ->
                  request(
                      c.policy(),
                      ALICE,
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ID_TOKEN),
              Code.INVALID_REQUEST),
          new Row(
              "a subject already at the end of a chain of " + GrantDecider.MAX_EXCHANGE_DEPTH,
              c ->
                  request(
                      c.policy(),
                      descendant(GrantDecider.MAX_EXCHANGE_DEPTH),
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              Code.INVALID_GRANT),
          new Row(
              "a subject one short of the longest chain",
              c ->
                  request(
                      c.policy(),
                      descendant(GrantDecider.MAX_EXCHANGE_DEPTH - 1),
                      c.actorToken(),
                      Optional.empty(),
                      List.of(),
                      List.of(),
                      TokenType.ACCESS_TOKEN),
              null));

  /** A token of Alice's, its grant {@code depth} exchanges away from the root. */
  static PresentedToken descendant(int depth) {
    List<String> chain = new ArrayList<>();
    for (int i = 0; i < depth; i++) {
      chain.add("g-" + i);
    }
    return new PresentedToken(
        TokenType.ACCESS_TOKEN,
        "g-" + depth,
        SERVICE,
        "alice",
        Optional.of("alice"),
        ALICE.scopes(),
        List.of(),
        Optional.empty(),
        chain,
        IN_AN_HOUR);
  }

  @Test
  void theTable() {
    for (Row row : TABLE) {
      Decision<GrantEvent> d =
          GrantDecider.decide(GrantState.initial(), row.change().apply(delegation()), T0);
      if (row.refused() == null) {
        assertThat(d.isAccepted()).as(row.what() + ": " + d).isTrue();
        assertThat(d.events()).as(row.what()).singleElement().isInstanceOf(TokenExchanged.class);
      } else {
        assertThat(d).as(row.what()).isInstanceOf(Decision.Rejected.class);
        DomainError error = ((Decision.Rejected<GrantEvent>) d).error();
        assertThat(error).as(row.what()).isInstanceOf(DomainError.OAuth.class);
        assertThat(((DomainError.OAuth) error).error().code())
            .as(row.what())
            .isEqualTo(row.refused());
      }
    }
  }

  static TokenExchanged exchanged(ExchangeToken c) {
    Decision<GrantEvent> d = GrantDecider.decide(GrantState.initial(), c, T0);
    assertThat(d.isAccepted()).as("%s", d).isTrue();
    return (TokenExchanged) d.events().get(0);
  }

  @Test
  void aDelegationNamesTheActorAndLinksTheSubjectTokensGrant() {
    TokenExchanged e = exchanged(delegation());
    assertThat(e.subject()).isEqualTo("alice");
    assertThat(e.userId()).contains("alice");
    assertThat(e.clientId()).isEqualTo(SERVICE);
    assertThat(e.actor()).contains(new Actor(SERVICE, SERVICE, Optional.empty()));
    assertThat(e.actorGrantId()).contains("cc-b");
    assertThat(e.subjectGrantId()).isEqualTo("g-web");
    assertThat(e.grantChain()).containsExactly("g-web");
    // Without a scope: the subject token's, less what the client may not have.
    assertThat(e.scopes()).isEqualTo(Scopes.of("openid", "orders.read", "orders.write"));
    assertThat(e.audiences()).isEmpty();
    assertThat(e.refreshTokenHash()).isEmpty();
    // Capped by the actor token, which expires first.
    assertThat(e.accessTokenExpiresAt()).contains(B_ITSELF.expiresAt());
  }

  @Test
  void exchangingADelegatedTokenNestsTheActors() {
    Active first = (Active) GrantDecider.replay(List.of(exchanged(delegation())));
    TokenExchanged before = first.exchange().orElseThrow();
    PresentedToken delegated =
        new PresentedToken(
            TokenType.ACCESS_TOKEN,
            NEW,
            SERVICE,
            "alice",
            Optional.of("alice"),
            before.scopes(),
            List.of("svc-c"),
            before.actor(),
            before.grantChain(),
            before.accessTokenExpiresAt().orElseThrow());
    PresentedToken cItself =
        new PresentedToken(
            TokenType.ACCESS_TOKEN,
            "cc-c",
            "svc-c",
            "svc-c",
            Optional.empty(),
            Scopes.of("orders.read"),
            List.of(),
            Optional.empty(),
            List.of(),
            IN_AN_HOUR);
    ExchangeToken byC =
        new ExchangeToken(
            "x-c",
            "svc-c",
            Scopes.of("orders.read"),
            TokenExchangeMetadata.NONE,
            delegated,
            Optional.of(cItself),
            Optional.empty(),
            List.of(),
            List.of(),
            TokenType.ACCESS_TOKEN,
            GrantTokens.jti("x-c", "a1"),
            GrantTokens.hash("r"),
            TokenLifetimes.DEFAULT);
    TokenExchanged e = exchanged(byC);
    assertThat(e.actor())
        .contains(
            new Actor(
                "svc-c", "svc-c", Optional.of(new Actor(SERVICE, SERVICE, Optional.empty()))));
    assertThat(e.grantChain()).containsExactly("g-web", NEW);
    assertThat(e.subjectGrantId()).isEqualTo(NEW);
    // Never wider than the subject token's, which C's registration narrows further.
    assertThat(e.scopes()).isEqualTo(Scopes.of("orders.read"));
  }

  @Test
  void impersonationKeepsTheSubjectsOwnActors() {
    PresentedToken delegated =
        new PresentedToken(
            TokenType.ACCESS_TOKEN,
            "x-1",
            SERVICE,
            "alice",
            Optional.of("alice"),
            ALICE.scopes(),
            List.of(),
            Optional.of(new Actor("svc-a", "svc-a", Optional.empty())),
            List.of("g-web"),
            IN_AN_HOUR);
    TokenExchanged e =
        exchanged(
            request(
                new TokenExchangeMetadata(List.of(), true, false),
                delegated,
                Optional.empty(),
                Optional.empty(),
                List.of(),
                List.of(),
                TokenType.ACCESS_TOKEN));
    assertThat(e.actor()).contains(new Actor("svc-a", "svc-a", Optional.empty()));
    assertThat(e.grantChain()).containsExactly("g-web", "x-1");
  }

  @Test
  void theNewTokenNeverOutlivesTheSubjectToken() {
    PresentedToken almostGone = issuedTo(SERVICE, List.of(), T0.plusSeconds(20));
    TokenExchanged e =
        exchanged(
            request(
                new TokenExchangeMetadata(List.of(), true, false),
                almostGone,
                Optional.empty(),
                Optional.empty(),
                List.of(),
                List.of(),
                TokenType.ACCESS_TOKEN));
    assertThat(e.accessTokenExpiresAt()).contains(T0.plusSeconds(20));
  }

  @Test
  void theAudienceIsWhatWasAskedFor() {
    TokenExchanged e =
        exchanged(
            request(
                DELEGATION,
                ALICE,
                Optional.of(B_ITSELF),
                Optional.empty(),
                List.of("billing", "https://orders.example"),
                List.of("https://orders.example"),
                TokenType.JWT));
    assertThat(e.audiences()).containsExactly("billing", "https://orders.example");
  }

  @Test
  void aRefreshTokenMakesAGrantThatRefreshesLikeAnyOther() {
    TokenExchanged e =
        exchanged(
            request(
                new TokenExchangeMetadata(List.of(), false, true),
                ALICE,
                Optional.of(B_ITSELF),
                Optional.empty(),
                List.of(),
                List.of(),
                TokenType.REFRESH_TOKEN));
    assertThat(e.accessTokenJti()).isEmpty();
    assertThat(e.refreshTokenExpiresAt()).contains(T0.plus(Duration.ofDays(15)));
    Active a = (Active) GrantDecider.replay(List.of(e));
    assertThat(a.kind()).isEqualTo(GrantType.TOKEN_EXCHANGE);
    assertThat(GrantAccessTokens.issuedBy(e)).isEmpty();
    GrantCommand.Refresh refresh =
        new GrantCommand.Refresh(
            NEW,
            SERVICE,
            GrantTokens.hash("refresh-secret"),
            Optional.empty(),
            GrantTokens.hash("next"),
            GrantTokens.jti(NEW, "a2"),
            TokenLifetimes.DEFAULT,
            Duration.ZERO);
    GrantState after = GrantFixtures.apply(a, refresh, T0.plusSeconds(60));
    Active rotated = (Active) after;
    assertThat(rotated.exchange()).contains(e);
    assertThat(rotated.lastRotation().orElseThrow().accessTokenJti())
        .isEqualTo(GrantTokens.jti(NEW, "a2"));
    assertThat(rotated.lastRotation().orElseThrow().accessTokenExpiresAt())
        .isAfter(T0.plusSeconds(61));
    // The snapshot of an exchanged grant keeps its exchange.
    assertThat(GrantSnapshotCodec.decode(GrantSnapshotCodec.encode(after))).contains(after);
  }

  @Test
  void theNewStreamHoldsOneExchange() {
    GrantState s = GrantDecider.replay(List.of(exchanged(delegation())));
    assertThat(((Decision.Rejected<GrantEvent>) GrantDecider.decide(s, delegation(), T0)).error())
        .isEqualTo(new DomainError.AlreadyExists("grant", NEW));
  }
}
