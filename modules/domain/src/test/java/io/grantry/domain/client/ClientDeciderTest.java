package io.grantry.domain.client;

import static io.grantry.domain.client.ClientFixtures.HASH_1;
import static io.grantry.domain.client.ClientFixtures.HASH_2;
import static io.grantry.domain.client.ClientFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.client.ClientCommand.Disable;
import io.grantry.domain.client.ClientCommand.Enable;
import io.grantry.domain.client.ClientCommand.Register;
import io.grantry.domain.client.ClientCommand.RotateSecret;
import io.grantry.domain.client.ClientCommand.Update;
import io.grantry.domain.client.ClientState.Registered;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClientDeciderTest {

  private static ClientState registered(String id, ClientMetadata m, Optional<String> hash) {
    Decision<ClientEvent> d =
        ClientDecider.decide(ClientState.initial(), new Register(id, m, hash), T0);
    return ClientDecider.replay(d.events());
  }

  private static ClientState webApp() {
    return registered("web", ClientFixtures.webApp(), Optional.of(HASH_1));
  }

  /** The (first) problem a rejected decision names. */
  private static ValidationError validationError(Decision<ClientEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    DomainError error = ((Decision.Rejected<ClientEvent>) d).error();
    if (error instanceof DomainError.ValidationErrors all) {
      return all.errors().get(0);
    }
    assertThat(error).isInstanceOf(ValidationError.class);
    return (ValidationError) error;
  }

  private static ValidationError registerError(ClientMetadata m, Optional<String> hash) {
    return validationError(
        ClientDecider.decide(ClientState.initial(), new Register("c1", m, hash), T0));
  }

  @Test
  void registersAConfidentialClient() {
    ClientMetadata m = ClientFixtures.webApp();
    Decision<ClientEvent> d =
        ClientDecider.decide(
            ClientState.initial(), new Register("web", m, Optional.of(HASH_1)), T0);

    assertThat(d.events()).containsExactly(new ClientRegistered("web", m, Optional.of(HASH_1), T0));
    Registered state = (Registered) ClientDecider.replay(d.events());
    assertThat(state.clientId()).isEqualTo("web");
    assertThat(state.metadata()).isEqualTo(m);
    assertThat(state.disabled()).isFalse();
    assertThat(state.registeredAt()).isEqualTo(T0);
    assertThat(state.acceptedSecretHashes(T0)).containsExactly(HASH_1);
  }

  @Test
  void registersPublicAndServiceClients() {
    assertThat(
            ClientDecider.decide(
                    ClientState.initial(),
                    new Register("app", ClientFixtures.nativeApp(), Optional.empty()),
                    T0)
                .isAccepted())
        .isTrue();
    assertThat(
            ClientDecider.decide(
                    ClientState.initial(),
                    new Register("svc", ClientFixtures.service(), Optional.of(HASH_1)),
                    T0)
                .isAccepted())
        .isTrue();
    Registered app = (Registered) registered("app", ClientFixtures.nativeApp(), Optional.empty());
    assertThat(app.acceptedSecretHashes(T0)).isEmpty();
  }

  @Test
  void refusesASecondRegistration() {
    Decision<ClientEvent> d =
        ClientDecider.decide(
            webApp(), new Register("web", ClientFixtures.webApp(), Optional.of(HASH_2)), T0);
    assertThat(d).isEqualTo(Decision.reject(new DomainError.AlreadyExists("client", "web")));
  }

  @Test
  void logoutUrisFollowTheRedirectUriRules() {
    ValidationError uri =
        registerError(
            ClientFixtures.webApp().toBuilder()
                .logout(
                    new LogoutMetadata(
                        List.of("https://app.example.com/bye#x"), Optional.empty(), false))
                .build(),
            Optional.of(HASH_1));
    assertThat(uri.field()).isEqualTo("post_logout_redirect_uris");
    ValidationError backchannel =
        registerError(
            ClientFixtures.webApp().toBuilder()
                .logout(
                    new LogoutMetadata(
                        List.of(), Optional.of("http://app.example.com/backchannel"), false))
                .build(),
            Optional.of(HASH_1));
    assertThat(backchannel.field()).isEqualTo("backchannel_logout_uri");
    ValidationError sessionWithoutUri =
        registerError(
            ClientFixtures.webApp().toBuilder()
                .logout(new LogoutMetadata(List.of(), Optional.empty(), true))
                .build(),
            Optional.of(HASH_1));
    assertThat(sessionWithoutUri.field()).isEqualTo("backchannel_logout_session_required");
  }

  @Test
  void tokenExchangeSettingsNeedTheGrantAndAreChecked() {
    ClientMetadata exchanging =
        ClientFixtures.service().toBuilder()
            .grantTypes(GrantType.CLIENT_CREDENTIALS, GrantType.TOKEN_EXCHANGE)
            .tokenExchange(
                new TokenExchangeMetadata(List.of("https://orders.example"), true, false))
            .build();
    assertThat(ClientDecider.problemWith(exchanging)).isEmpty();
    assertThat(
            registerError(
                    exchanging.toBuilder().grantTypes(GrantType.CLIENT_CREDENTIALS).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("token_exchange_audiences");
    assertThat(
            registerError(
                    ClientFixtures.service().toBuilder()
                        .tokenExchange(new TokenExchangeMetadata(List.of(), true, false))
                        .build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("token_exchange_allow_impersonation");
    for (String bad : new String[] {"", "with space", "tab\t", "x".repeat(2001), "\u00e9"}) {
      assertThat(
              registerError(
                      exchanging.toBuilder()
                          .tokenExchange(new TokenExchangeMetadata(List.of(bad), false, false))
                          .build(),
                      Optional.of(HASH_1))
                  .field())
          .as(bad)
          .isEqualTo("token_exchange_audiences");
    }
    // A refresh token is of use only to a client that may refresh; such a client needs no
    // authorization_code grant then.
    ClientMetadata refreshing =
        exchanging.toBuilder()
            .grantTypes(GrantType.TOKEN_EXCHANGE, GrantType.REFRESH_TOKEN)
            .tokenExchange(new TokenExchangeMetadata(List.of(), false, true))
            .build();
    assertThat(ClientDecider.problemWith(refreshing)).isEmpty();
    assertThat(
            registerError(
                    refreshing.toBuilder().grantTypes(GrantType.TOKEN_EXCHANGE).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("token_exchange_allow_refresh_token");
    assertThat(
            registerError(
                    refreshing.toBuilder().tokenExchange(TokenExchangeMetadata.NONE).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("grant_types");
    // A public client cannot authenticate: a token it presented could be anyone's.
    assertThat(
            registerError(
                    ClientFixtures.nativeApp().toBuilder()
                        .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.TOKEN_EXCHANGE)
                        .build(),
                    Optional.empty())
                .field())
        .isEqualTo("grant_types");
  }

  @Test
  void publicClientsUseNoneAndNoClientCredentials() {
    ValidationError method =
        registerError(
            ClientFixtures.nativeApp().toBuilder()
                .tokenEndpointAuthMethod(TokenEndpointAuthMethod.CLIENT_SECRET_BASIC)
                .build(),
            Optional.empty());
    assertThat(method.field()).isEqualTo("token_endpoint_auth_method");

    ValidationError grant =
        registerError(
            ClientFixtures.nativeApp().toBuilder()
                .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.CLIENT_CREDENTIALS)
                .build(),
            Optional.empty());
    assertThat(grant.field()).isEqualTo("grant_types");
    assertThat(grant.message()).contains("client_credentials");
  }

  @Test
  void confidentialClientsMustNotUseNone() {
    ValidationError e =
        registerError(
            ClientFixtures.webApp().toBuilder()
                .tokenEndpointAuthMethod(TokenEndpointAuthMethod.NONE)
                .build(),
            Optional.of(HASH_1));
    assertThat(e.field()).isEqualTo("token_endpoint_auth_method");
  }

  @Test
  void secretHashPresentExactlyForConfidentialClientsAndNeverTheSecretItself() {
    assertThat(registerError(ClientFixtures.webApp(), Optional.empty()).field())
        .isEqualTo("secret_hash");
    assertThat(registerError(ClientFixtures.nativeApp(), Optional.of(HASH_1)).field())
        .isEqualTo("secret_hash");
    String rawSecret = "q3v9X_b8mJ0cN1tQ6sR2wE5yU4iO7pA-zK3lL8hG2fD";
    ValidationError e = registerError(ClientFixtures.webApp(), Optional.of(rawSecret));
    assertThat(e.field()).isEqualTo("secret_hash");
    assertThat(e.message()).doesNotContain(rawSecret);
  }

  @Test
  void refusesABadRedirectUriNamingIt() {
    ValidationError e =
        registerError(
            ClientFixtures.webApp().toBuilder()
                .redirectUris("https://app.example.com/cb", "https://evil.example.com/*")
                .build(),
            Optional.of(HASH_1));
    assertThat(e.field()).isEqualTo("redirect_uris");
    assertThat(e.message()).contains("https://evil.example.com/*").contains("wildcard");

    ValidationError js =
        registerError(
            ClientFixtures.webApp().toBuilder().redirectUris("javascript:alert(1)").build(),
            Optional.of(HASH_1));
    assertThat(js.message()).contains("javascript:alert(1)");
  }

  @Test
  void grantTypeRules() {
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().grantTypes(List.of()).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("grant_types");
    assertThat(
            registerError(
                    ClientFixtures.service().toBuilder()
                        .grantTypes(GrantType.CLIENT_CREDENTIALS, GrantType.REFRESH_TOKEN)
                        .build(),
                    Optional.of(HASH_1))
                .message())
        .contains("refresh_token");
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().redirectUris(List.of()).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("redirect_uris");
  }

  /**
   * A TV or a CLI: a public client with the device code grant and refresh, and no redirect URI (RFC
   * 8628 §3.4; the device never receives a redirect).
   */
  @Test
  void aDeviceClientNeedsNoRedirectUriAndMayRefresh() {
    ClientMetadata tv =
        ClientMetadata.builder("Living-room TV", ClientType.PUBLIC)
            .grantTypes(GrantType.DEVICE_CODE, GrantType.REFRESH_TOKEN)
            .allowedScopes(Scopes.parse("openid offline_access"))
            .build();
    assertThat(
            ClientDecider.decide(
                    ClientState.initial(), new Register("tv", tv, Optional.empty()), T0)
                .isAccepted())
        .isTrue();
  }

  @Test
  void publicClientsNeitherSkipConsentNorIntrospect() {
    assertThat(
            registerError(
                    ClientFixtures.nativeApp().toBuilder().skipConsent(true).build(),
                    Optional.empty())
                .field())
        .isEqualTo("skip_consent");
    assertThat(
            registerError(
                    ClientFixtures.nativeApp().toBuilder().introspect(true).build(),
                    Optional.empty())
                .field())
        .isEqualTo("introspect");
  }

  @Test
  void checksNameIdAndLinks() {
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().name(" ").build(), Optional.of(HASH_1))
                .field())
        .isEqualTo("client_name");
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().name("x".repeat(101)).build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("client_name");
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().logoUri("javascript:alert(1)").build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("logo_uri");
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder().clientUri("http://app.example.com").build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("client_uri");
    assertThat(
            registerError(
                    ClientFixtures.webApp().toBuilder()
                        .clientUri("https://u@app.example.com")
                        .build(),
                    Optional.of(HASH_1))
                .field())
        .isEqualTo("client_uri");
    assertThat(
            validationError(
                    ClientDecider.decide(
                        ClientState.initial(),
                        new Register("bad id/..", ClientFixtures.webApp(), Optional.of(HASH_1)),
                        T0))
                .field())
        .isEqualTo("client_id");
  }

  @Test
  void updateReplacesMetadataButNotTheType() {
    ClientState state = webApp();
    ClientMetadata changed =
        ClientFixtures.webApp().toBuilder().allowedScopes(Scopes.parse("openid")).build();

    Decision<ClientEvent> d =
        ClientDecider.decide(state, new Update("web", changed), T0.plusSeconds(5));
    assertThat(d.events()).containsExactly(new ClientUpdated("web", changed, T0.plusSeconds(5)));
    Registered after = (Registered) ClientDecider.evolve(state, d.events().get(0));
    assertThat(after.metadata()).isEqualTo(changed);
    assertThat(after.acceptedSecretHashes(T0)).containsExactly(HASH_1);

    assertThat(ClientDecider.decide(state, new Update("web", ClientFixtures.webApp()), T0).events())
        .isEmpty();

    ClientMetadata nowPublic = ClientFixtures.nativeApp();
    assertThat(
            validationError(ClientDecider.decide(state, new Update("web", nowPublic), T0)).field())
        .isEqualTo("client_type");

    ClientMetadata invalid =
        ClientFixtures.webApp().toBuilder().redirectUris("http://app.example.com/cb").build();
    assertThat(validationError(ClientDecider.decide(state, new Update("web", invalid), T0)).field())
        .isEqualTo("redirect_uris");
  }

  @Test
  void commandsOnAnUnknownClientAreNotFound() {
    DomainError notFound = new DomainError.NotFound("client", "ghost");
    for (ClientCommand c :
        List.of(
            new Update("ghost", ClientFixtures.webApp()),
            new RotateSecret("ghost", HASH_2, Duration.ZERO),
            new Disable("ghost"))) {
      assertThat(ClientDecider.decide(ClientState.initial(), c, T0))
          .isEqualTo(Decision.reject(notFound));
    }
  }

  @Test
  void rotationKeepsThePreviousSecretForTheGracePeriod() {
    ClientState state = webApp();
    Instant at = T0.plusSeconds(60);
    Decision<ClientEvent> d =
        ClientDecider.decide(state, new RotateSecret("web", HASH_2, Duration.ofHours(1)), at);

    assertThat(d.events())
        .containsExactly(new ClientSecretRotated("web", HASH_2, HASH_1, at.plusSeconds(3600), at));
    Registered after = (Registered) ClientDecider.evolve(state, d.events().get(0));
    assertThat(after.acceptedSecretHashes(at)).containsExactly(HASH_2, HASH_1);
    assertThat(after.acceptedSecretHashes(at.plusSeconds(3599))).containsExactly(HASH_2, HASH_1);
    assertThat(after.acceptedSecretHashes(at.plusSeconds(3600))).containsExactly(HASH_2);
  }

  @Test
  void rotationWithoutGraceEndsTheOldSecretAtOnce() {
    ClientState state = webApp();
    Decision<ClientEvent> d =
        ClientDecider.decide(state, new RotateSecret("web", HASH_2, Duration.ZERO), T0);
    Registered after = (Registered) ClientDecider.evolve(state, d.events().get(0));
    assertThat(after.acceptedSecretHashes(T0)).containsExactly(HASH_2);
  }

  @Test
  void rotationRules() {
    ClientState state = webApp();
    assertThat(
            validationError(
                    ClientDecider.decide(
                        state, new RotateSecret("web", HASH_2, Duration.ofSeconds(-1)), T0))
                .field())
        .isEqualTo("grace");
    assertThat(
            validationError(
                    ClientDecider.decide(
                        state, new RotateSecret("web", HASH_2, Duration.ofDays(31)), T0))
                .field())
        .isEqualTo("grace");
    assertThat(
            validationError(
                    ClientDecider.decide(state, new RotateSecret("web", HASH_1, Duration.ZERO), T0))
                .field())
        .isEqualTo("secret_hash");
    assertThat(
            validationError(
                    ClientDecider.decide(
                        state, new RotateSecret("web", "plainsecret", Duration.ZERO), T0))
                .field())
        .isEqualTo("secret_hash");
    ClientState app = registered("app", ClientFixtures.nativeApp(), Optional.empty());
    assertThat(
            validationError(
                    ClientDecider.decide(app, new RotateSecret("app", HASH_2, Duration.ZERO), T0))
                .field())
        .isEqualTo("client_type");
  }

  @Test
  void disablingIsIdempotentAndFinal() {
    ClientState state = webApp();
    Decision<ClientEvent> d = ClientDecider.decide(state, new Disable("web"), T0.plusSeconds(1));
    assertThat(d.events()).containsExactly(new ClientDisabled("web", T0.plusSeconds(1)));
    ClientState disabled = ClientDecider.evolve(state, d.events().get(0));
    assertThat(((Registered) disabled).disabled()).isTrue();

    assertThat(ClientDecider.decide(disabled, new Disable("web"), T0).events()).isEmpty();
    DomainError expected = new DomainError.Disabled("client", "web");
    assertThat(ClientDecider.decide(disabled, new Update("web", ClientFixtures.webApp()), T0))
        .isEqualTo(Decision.reject(expected));
    assertThat(ClientDecider.decide(disabled, new RotateSecret("web", HASH_2, Duration.ZERO), T0))
        .isEqualTo(Decision.reject(expected));
    assertThat(expected.message()).isEqualTo("client 'web' is disabled");
  }

  @Test
  void enablingUndoesADisableOnceAndChangesNothingElse() {
    ClientState state = webApp();
    assertThat(ClientDecider.decide(state, new Enable("web"), T0).events()).isEmpty();
    ClientState disabled =
        ClientDecider.evolve(state, new ClientDisabled("web", T0.plusSeconds(1)));
    Decision<ClientEvent> d = ClientDecider.decide(disabled, new Enable("web"), T0.plusSeconds(2));
    assertThat(d.events()).containsExactly(new ClientEnabled("web", T0.plusSeconds(2)));
    ClientState enabled = ClientDecider.evolve(disabled, d.events().get(0));
    assertThat(enabled).isEqualTo(state);
    assertThat(ClientDecider.decide(ClientState.initial(), new Enable("ghost"), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("client", "ghost")));
  }

  @Test
  void evolveRefusesEventsThatCannotFollowTheState() {
    assertThatThrownBy(
            () -> ClientDecider.evolve(ClientState.initial(), new ClientDisabled("web", T0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("corrupt");
    ClientState state = webApp();
    assertThatThrownBy(
            () ->
                ClientDecider.evolve(
                    state,
                    new ClientRegistered("web", ClientFixtures.webApp(), Optional.of(HASH_1), T0)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ClientDecider.evolve(state, new ClientDisabled("other", T0)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aCommandForAnotherClientIsAProgrammingError() {
    assertThatThrownBy(() -> ClientDecider.decide(webApp(), new Disable("other"), T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------ every problem at once

  @Test
  void everyProblemOfAClientIsReportedEachWithItsPointer() {
    ClientMetadata bad =
        ClientFixtures.nativeApp().toBuilder()
            .redirectUris("https://app.example/cb#f", "http://127.0.0.1/cb", "javascript:alert(1)")
            .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.CLIENT_CREDENTIALS)
            .skipConsent(true)
            .introspect(true)
            .build();
    Decision<ClientEvent> d =
        ClientDecider.decide(ClientState.initial(), new Register("c1", bad, Optional.empty()), T0);
    DomainError error = ((Decision.Rejected<ClientEvent>) d).error();
    assertThat(error).isInstanceOf(DomainError.ValidationErrors.class);
    List<ValidationError> all = ((DomainError.ValidationErrors) error).errors();
    assertThat(all.stream().map(ValidationError::pointer))
        .containsExactly(
            "/grant_types", "/redirect_uris/0", "/redirect_uris/2", "/skip_consent", "/introspect");
    assertThat(error.message()).contains("client_credentials").contains("introspection");
    // One problem stays a single ValidationError, as before.
    assertThat(registerError(ClientFixtures.webApp(), Optional.empty()).pointer())
        .isEqualTo("/secret_hash");
    assertThat(ClientDecider.problemWith(bad).map(ValidationError::field)).contains("grant_types");
  }

  @Test
  void anUpdateReportsTheTypeChangeAndEveryOtherProblemTogether() {
    ClientMetadata changed =
        ClientFixtures.nativeApp().toBuilder()
            .skipConsent(true)
            .logoUri("ftp://app.example/logo.png")
            .build();
    Decision<ClientEvent> d = ClientDecider.decide(webApp(), new Update("web", changed), T0);
    DomainError error = ((Decision.Rejected<ClientEvent>) d).error();
    assertThat(((DomainError.ValidationErrors) error).errors().stream().map(ValidationError::field))
        .containsExactly("client_type", "logo_uri", "skip_consent");
  }

  // ------------------------------------------------------------------ compromised (M2)

  private static Registered compromised(ClientState state) {
    return (Registered)
        ClientDecider.replay(
            List.of(
                registeredEvent(state),
                new ClientDisabled(
                    ((Registered) state).clientId(), T0, Optional.of(DisableReason.COMPROMISED))));
  }

  private static ClientEvent registeredEvent(ClientState state) {
    Registered r = (Registered) state;
    return new ClientRegistered(r.clientId(), r.metadata(), r.secretHash(), r.registeredAt());
  }

  @Test
  void aCompromisedClientWithASecretIsEnabledOnlyWithANewOne() {
    Registered leaked = compromised(webApp());
    assertThat(leaked.compromised()).isTrue();
    Decision<ClientEvent> plain = ClientDecider.decide(leaked, new Enable("web"), T0);
    assertThat(((Decision.Rejected<ClientEvent>) plain).error())
        .isInstanceOf(DomainError.CredentialsMustChange.class);

    Instant now = T0.plusSeconds(60);
    Decision<ClientEvent> rotated =
        ClientDecider.decide(leaked, new Enable("web", Optional.of(HASH_2)), now);
    assertThat(rotated.events())
        .containsExactly(
            new ClientEnabled("web", now),
            new ClientSecretRotated("web", HASH_2, HASH_1, now, now));
    Registered after =
        (Registered)
            ClientDecider.evolve(
                ClientDecider.evolve(leaked, rotated.events().get(0)), rotated.events().get(1));
    assertThat(after.acceptedSecretHashes(now)).containsExactly(HASH_2);
    assertThat(after.disabledReason()).isEmpty();

    // A client disabled for another reason comes back as it was; marking it compromised later
    // counts, the other way round does not.
    Registered resting =
        (Registered)
            ClientDecider.evolve(
                webApp(), new ClientDisabled("web", T0, Optional.of(DisableReason.MAINTENANCE)));
    assertThat(ClientDecider.decide(resting, new Enable("web"), T0).events()).hasSize(1);
    assertThat(
            ClientDecider.decide(
                    resting, new Disable("web", Optional.of(DisableReason.COMPROMISED)), T0)
                .events())
        .hasSize(1);
    assertThat(
            ClientDecider.decide(
                    leaked, new Disable("web", Optional.of(DisableReason.MAINTENANCE)), T0)
                .events())
        .isEmpty();
  }

  @Test
  void aCompromisedClientWithKeysIsEnabledOnlyByAChangeThatReplacesEveryKey() {
    Registered leaked =
        compromised(registered("svc", ClientFixtures.keyedService(), Optional.empty()));
    Enable enable = new Enable("svc");
    Decision<ClientEvent> same =
        ClientDecider.enableAndUpdate(
            leaked,
            enable,
            new Update("svc", leaked.metadata().toBuilder().name("Renamed").build()),
            T0);
    assertThat(((Decision.Rejected<ClientEvent>) same).error())
        .isInstanceOf(DomainError.CredentialsMustChange.class);

    String other =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k2\","
            + "\"x\":\"WKn-ZIGevcwGIyyrzFoZNBdaq9_TsqzGl96oc0CWuis\","
            + "\"y\":\"y77t-RvAHRKTsSGdIYUfweuOvwrvDD-Q3Hv5J0fSKbE\"}";
    String renamedOld = ClientFixtures.EC_JWK.replace("\"k1\"", "\"k1-again\"");
    for (String keys :
        List.of(
            "{\"keys\":[" + renamedOld + "]}",
            "{\"keys\":[" + other + "," + ClientFixtures.EC_JWK + "]}")) {
      Decision<ClientEvent> kept =
          ClientDecider.enableAndUpdate(
              leaked, enable, new Update("svc", withJwks(leaked, keys)), T0);
      assertThat(((Decision.Rejected<ClientEvent>) kept).error())
          .as(keys)
          .isInstanceOf(DomainError.CredentialsMustChange.class);
    }
    Decision<ClientEvent> fresh =
        ClientDecider.enableAndUpdate(
            leaked, enable, new Update("svc", withJwks(leaked, "{\"keys\":[" + other + "]}")), T0);
    assertThat(fresh.events()).hasSize(2);
    assertThat(fresh.events().get(0)).isInstanceOf(ClientEnabled.class);
    assertThat(fresh.events().get(1)).isInstanceOf(ClientUpdated.class);
  }

  @Test
  void aCompromisedClientAtAJwksUriComesBackWithAnotherHostOrPathOnly() {
    ClientMetadata atUri =
        ClientFixtures.keyedService().toBuilder()
            .security(
                new ClientSecurity(
                    false,
                    Optional.empty(),
                    Optional.of("https://keys.example.com/jwks.json"),
                    Optional.empty()))
            .build();
    Registered leaked = compromised(registered("svc", atUri, Optional.empty()));
    for (String other :
        List.of("https://keys.example.com/v2/jwks.json", "https://keys2.example.com/jwks.json")) {
      ClientMetadata moved =
          atUri.toBuilder()
              .security(
                  new ClientSecurity(false, Optional.empty(), Optional.of(other), Optional.empty()))
              .build();
      assertThat(
              ClientDecider.enableAndUpdate(leaked, new Enable("svc"), new Update("svc", moved), T0)
                  .events())
          .as(other)
          .hasSize(2);
    }
    assertThat(ClientDecider.keyLocation("https://KEYS.example.com.:443/jwks.json/?v=2#x"))
        .isEqualTo("keys.example.com/jwks.json");
  }

  private static ClientMetadata withJwks(Registered r, String jwks) {
    ClientSecurity s = r.metadata().security();
    return r.metadata().toBuilder()
        .security(
            new ClientSecurity(
                s.requirePushedAuthorizationRequests(),
                Optional.of(jwks),
                Optional.empty(),
                s.tokenEndpointAuthSigningAlg()))
        .build();
  }
}
