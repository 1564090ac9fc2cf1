package io.grantry.domain.client;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.DomainError.ValidationErrors;
import io.grantry.domain.FieldRules;
import io.grantry.domain.client.ClientCommand.Disable;
import io.grantry.domain.client.ClientCommand.Enable;
import io.grantry.domain.client.ClientCommand.Register;
import io.grantry.domain.client.ClientCommand.RotateSecret;
import io.grantry.domain.client.ClientCommand.Update;
import io.grantry.domain.client.ClientState.PreviousSecret;
import io.grantry.domain.client.ClientState.Registered;
import io.grantry.domain.oauth.RedirectUriRules;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The client aggregate's two pure functions: {@link #decide} a command against the current state,
 * and {@link #evolve} the state by one event. No clock, no I/O: the caller passes {@code now}, and
 * ids and secret hashes arrive in the commands.
 */
public final class ClientDecider {
  static final String KIND = "client";
  public static final int MAX_CLIENT_ID_LENGTH = 128;
  public static final int MAX_NAME_LENGTH = 100;
  public static final int MAX_REDIRECT_URIS = 20;
  public static final int MAX_EXCHANGE_AUDIENCES = 20;
  public static final int MAX_AUDIENCE_LENGTH = 2000;

  /** Longest grace for a replaced secret: a roll-over, not a second permanent credential. */
  public static final Duration MAX_SECRET_GRACE = Duration.ofDays(30);

  private ClientDecider() {}

  public static Decision<ClientEvent> decide(
      ClientState state, ClientCommand command, Instant now) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(now, "now");
    if (state instanceof Registered r && !r.clientId().equals(command.clientId())) {
      throw new IllegalArgumentException(
          "command for client '"
              + command.clientId()
              + "' decided against the state of '"
              + r.clientId()
              + "'");
    }
    if (command instanceof Register c) {
      return register(state, c, now);
    }
    if (!(state instanceof Registered current)) {
      return Decision.reject(new DomainError.NotFound(KIND, command.clientId()));
    }
    if (command instanceof Disable c) {
      // A repeat changes nothing, except that a client found compromised while disabled for
      // another reason is recorded so (never the other way: that would drop the need for new
      // credentials).
      boolean newlyCompromised =
          c.reason().equals(Optional.of(DisableReason.COMPROMISED)) && !current.compromised();
      return current.disabled() && !newlyCompromised
          ? Decision.unchanged()
          : Decision.accept(new ClientDisabled(current.clientId(), now, c.reason()));
    }
    if (command instanceof Enable c) {
      return enable(current, c, Optional.empty(), now);
    }
    if (current.disabled()) {
      return Decision.reject(new DomainError.Disabled(KIND, current.clientId()));
    }
    if (command instanceof Update c) {
      return update(current, c, now);
    }
    return rotateSecret(current, (RotateSecret) command, now);
  }

  private static Decision<ClientEvent> register(ClientState state, Register c, Instant now) {
    if (state instanceof Registered) {
      return Decision.reject(new DomainError.AlreadyExists(KIND, c.clientId()));
    }
    List<ValidationError> problems = new ArrayList<>();
    FieldRules.identifier("client_id", c.clientId(), MAX_CLIENT_ID_LENGTH).ifPresent(problems::add);
    problems.addAll(problemsWith(c.metadata()));
    secretProblem(c.metadata(), c.secretHash()).ifPresent(problems::add);
    Optional<DomainError> refused = ValidationErrors.of(problems);
    if (refused.isPresent()) {
      return Decision.reject(refused.get());
    }
    return Decision.accept(new ClientRegistered(c.clientId(), c.metadata(), c.secretHash(), now));
  }

  private static Decision<ClientEvent> update(Registered current, Update c, Instant now) {
    List<ValidationError> problems = new ArrayList<>();
    if (c.metadata().type() != current.metadata().type()) {
      problems.add(
          new ValidationError(
              "client_type",
              "the client type cannot change from "
                  + current.metadata().type().wire()
                  + " to "
                  + c.metadata().type().wire()
                  + "; register a new client"));
    }
    problems.addAll(problemsWith(c.metadata()));
    if (c.metadata().tokenEndpointAuthMethod().usesSecret() && current.secretHash().isEmpty()) {
      problems.add(
          new ValidationError(
              "token_endpoint_auth_method",
              "the client has no secret to authenticate with "
                  + c.metadata().tokenEndpointAuthMethod().wire()
                  + "; register a new client"));
    }
    Optional<DomainError> refused = ValidationErrors.of(problems);
    if (refused.isPresent()) {
      return Decision.reject(refused.get());
    }
    if (c.metadata().equals(current.metadata())) {
      return Decision.unchanged();
    }
    return Decision.accept(new ClientUpdated(current.clientId(), c.metadata(), now));
  }

  /**
   * {@code PUT} and {@code PATCH} with {@code "disabled": false}: enables the client and replaces
   * its metadata in one decision, so that a client disabled as compromised may be enabled by a
   * change that replaces its keys ({@link #reEnableProblem} judges the outcome as a whole).
   */
  public static Decision<ClientEvent> enableAndUpdate(
      ClientState state, Enable enable, Update update, Instant now) {
    if (!(state instanceof Registered current)) {
      return Decision.reject(new DomainError.NotFound(KIND, update.clientId()));
    }
    return enable(current, enable, Optional.of(update), now);
  }

  private static Decision<ClientEvent> enable(
      Registered current, Enable c, Optional<Update> then, Instant now) {
    List<ClientEvent> events = new ArrayList<>();
    if (current.disabled()) {
      events.add(new ClientEnabled(current.clientId(), now));
    }
    if (c.newSecretHash().isPresent()) {
      String hash = c.newSecretHash().get();
      if (current.secretHash().isEmpty()) {
        return Decision.reject(
            new ValidationError(
                "rotate_secret",
                (current.metadata().type() == ClientType.PUBLIC ? "public" : "private_key_jwt")
                    + " client '"
                    + current.clientId()
                    + "' has no secret to rotate"));
      }
      Optional<ValidationError> problem = FieldRules.keyedHash("secret_hash", hash);
      if (problem.isPresent()) {
        return Decision.reject(problem.get());
      }
      if (hash.equals(current.secretHash().get())) {
        return Decision.reject(
            new ValidationError("secret_hash", "the new secret hash equals the current one"));
      }
      // No grace: the secret this replaces (and one replaced before, still in its grace) stops
      // working now.
      events.add(
          new ClientSecretRotated(current.clientId(), hash, current.secretHash().get(), now, now));
    }
    Registered after = current;
    for (ClientEvent e : events) {
      after = (Registered) evolve(after, e);
    }
    if (then.isPresent()) {
      Decision<ClientEvent> updated = update(after, then.get(), now);
      if (updated instanceof Decision.Rejected<ClientEvent>) {
        return updated;
      }
      for (ClientEvent e : updated.events()) {
        events.add(e);
        after = (Registered) evolve(after, e);
      }
    }
    Optional<DomainError> kept = reEnableProblem(current, after, now);
    if (kept.isPresent()) {
      return Decision.reject(kept.get());
    }
    return events.isEmpty() ? Decision.unchanged() : Decision.accept(events);
  }

  /**
   * The review's M2: a client disabled as compromised and enabled again must not authenticate with
   * anything it could before: no secret accepted then (the current one, nor a previous one in its
   * grace) is accepted after, and no key registered then (compared by its public part, whatever its
   * kid), nor a jwks_uri at the same host and path ({@link #keyLocation}: we cannot see the keys
   * behind it change), is registered after. A public client has no credentials to replace. Empty
   * when {@code after} may stand.
   */
  public static Optional<DomainError> reEnableProblem(
      Registered before, Registered after, Instant now) {
    if (!before.compromised() || after.disabled()) {
      return Optional.empty();
    }
    Set<String> kept = credentials(before, now);
    kept.retainAll(credentials(after, now));
    if (kept.isEmpty()) {
      return Optional.empty();
    }
    boolean keys = kept.stream().anyMatch(k -> !k.startsWith("secret:"));
    return Optional.of(
        new DomainError.CredentialsMustChange(
            KIND,
            before.clientId(),
            keys
                ? "register new jwks (sharing no key with the current ones) or a jwks_uri at"
                    + " another host or path (a query alone is not new keys), in the same change"
                : "a new secret in the same request (rotate_secret), the old one ending at once"));
  }

  /** What {@code c} authenticates with at {@code now}: its secrets' hashes, keys and key URI. */
  private static Set<String> credentials(Registered c, Instant now) {
    Set<String> out = new HashSet<>();
    c.acceptedSecretHashes(now).forEach(h -> out.add("secret:" + h));
    ClientSecurity s = c.metadata().security();
    s.jwksUri().ifPresent(u -> out.add("jwks_uri:" + keyLocation(u)));
    s.jwks().ifPresent(j -> ClientKeyRules.publicParts(j).forEach(k -> out.add("key:" + k)));
    return out;
  }

  /**
   * Where a jwks_uri's keys are, for telling new keys from old: its host (lower case, without a
   * trailing dot) and path (without trailing slashes). The scheme, the port, the query and the
   * fragment are left out: the same keys answer at {@code https://KEYS.example.com:443/jwks?v=2}
   * and at {@code https://keys.example.com/jwks} (the review's L2, session 4), so only another host
   * or path counts as other keys.
   */
  static String keyLocation(String jwksUri) {
    try {
      URI u = new URI(jwksUri);
      String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
      while (host.endsWith(".")) {
        host = host.substring(0, host.length() - 1);
      }
      String path = u.getPath() == null ? "" : u.getPath();
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      return host + path;
    } catch (URISyntaxException e) {
      return jwksUri.toLowerCase(Locale.ROOT);
    }
  }

  private static Decision<ClientEvent> rotateSecret(
      Registered current, RotateSecret c, Instant now) {
    if (current.secretHash().isEmpty()) {
      return Decision.reject(
          new ValidationError(
              "client_type",
              (current.metadata().type() == ClientType.PUBLIC ? "public" : "private_key_jwt")
                  + " client '"
                  + current.clientId()
                  + "' has no secret to rotate"));
    }
    Optional<ValidationError> problem = FieldRules.keyedHash("secret_hash", c.newSecretHash());
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (c.grace().isNegative()) {
      return Decision.reject(new ValidationError("grace", "grace must not be negative"));
    }
    if (c.grace().compareTo(MAX_SECRET_GRACE) > 0) {
      return Decision.reject(
          new ValidationError(
              "grace", "grace must be at most " + MAX_SECRET_GRACE.toDays() + " days"));
    }
    String previous = current.secretHash().get();
    if (previous.equals(c.newSecretHash())) {
      return Decision.reject(
          new ValidationError("secret_hash", "the new secret hash equals the current one"));
    }
    return Decision.accept(
        new ClientSecretRotated(
            current.clientId(), c.newSecretHash(), previous, now.plus(c.grace()), now));
  }

  /** Why {@code m} does not describe a valid client, as the first problem found. */
  public static Optional<ValidationError> problemWith(ClientMetadata m) {
    return problemsWith(m).stream().findFirst();
  }

  /**
   * Every reason why {@code m} does not describe a valid client, in the order the rules are written
   * (empty: it is valid). Rules that depend on each other report the first that fails (no grant
   * type at all says nothing more about grant types); independent rules each report, and each bad
   * item of a list (a redirect URI, a key) with its index in the pointer.
   */
  public static List<ValidationError> problemsWith(ClientMetadata m) {
    List<ValidationError> out = new ArrayList<>();
    FieldRules.displayText("client_name", m.name(), MAX_NAME_LENGTH).ifPresent(out::add);
    boolean isPublic = m.type() == ClientType.PUBLIC;
    if (isPublic && m.tokenEndpointAuthMethod() != TokenEndpointAuthMethod.NONE) {
      out.add(
          new ValidationError(
              "token_endpoint_auth_method",
              "a public client must use 'none': it cannot keep a secret (RFC 6749 §2.1)"));
    }
    if (!isPublic && m.tokenEndpointAuthMethod() == TokenEndpointAuthMethod.NONE) {
      out.add(
          new ValidationError(
              "token_endpoint_auth_method",
              "a confidential client must use client_secret_basic, client_secret_post,"
                  + " client_secret_jwt or private_key_jwt, not 'none'"));
    }
    out.addAll(ClientKeyRules.problemsWith(m));
    grantProblem(m, isPublic).ifPresent(out::add);
    if (m.allows(GrantType.AUTHORIZATION_CODE) && m.redirectUris().isEmpty()) {
      out.add(
          new ValidationError(
              "redirect_uris",
              "authorization_code needs at least one registered redirect URI (RFC 9700 §2.1)"));
    }
    if (m.redirectUris().size() > MAX_REDIRECT_URIS) {
      out.add(
          new ValidationError(
              "redirect_uris",
              "at most " + MAX_REDIRECT_URIS + " redirect URIs may be registered"));
    }
    for (int i = 0; i < m.redirectUris().size(); i++) {
      int index = i;
      RedirectUriRules.problemWith(m.redirectUris().get(i))
          .ifPresent(p -> out.add(new ValidationError("redirect_uris", p).at(index)));
    }
    out.addAll(logoutProblems(m.logout()));
    out.addAll(tokenExchangeProblems(m));
    m.logoUri().flatMap(u -> FieldRules.webUri("logo_uri", u)).ifPresent(out::add);
    m.clientUri().flatMap(u -> FieldRules.webUri("client_uri", u)).ifPresent(out::add);
    if (isPublic && m.skipConsent()) {
      out.add(
          new ValidationError(
              "skip_consent",
              "a public client cannot skip consent: its identity cannot be assured (RFC 8252"
                  + " §8.6)"));
    }
    if (isPublic && m.introspect()) {
      out.add(
          new ValidationError(
              "introspect",
              "a public client cannot call introspection: callers must authenticate (RFC 7662"
                  + " §2.1)"));
    }
    return out;
  }

  /** The grant types' rules: the first that fails. */
  private static Optional<ValidationError> grantProblem(ClientMetadata m, boolean isPublic) {
    if (m.grantTypes().isEmpty()) {
      return error("grant_types", "at least one grant type is required");
    }
    if (isPublic && m.allows(GrantType.CLIENT_CREDENTIALS)) {
      return error(
          "grant_types",
          "a public client cannot use client_credentials: it has no credentials (RFC 6749 §4.4)");
    }
    if (isPublic && m.allows(GrantType.TOKEN_EXCHANGE)) {
      return error(
          "grant_types",
          "a public client cannot use token exchange: a token it presents could be anyone's,"
              + " and it cannot authenticate (RFC 8693 §5)");
    }
    if (m.allows(GrantType.REFRESH_TOKEN)
        && !m.allows(GrantType.AUTHORIZATION_CODE)
        && !m.allows(GrantType.DEVICE_CODE)
        && !m.tokenExchange().allowRefreshToken()) {
      return error(
          "grant_types",
          "refresh_token needs authorization_code, the device code grant, or token exchange with"
              + " token_exchange_allow_refresh_token: client_credentials gets no refresh token"
              + " (RFC 6749 §4.4.3)");
    }
    return Optional.empty();
  }

  /**
   * Post-logout redirect URIs follow the redirect URI rules (exact strings, https or loopback, no
   * fragment: RP-Initiated Logout §3.1 asks the same care); the back-channel logout URI is an
   * absolute https URL (http only on a loopback host) without a fragment (Back-Channel Logout
   * §2.2).
   */
  private static List<ValidationError> logoutProblems(LogoutMetadata l) {
    List<ValidationError> out = new ArrayList<>();
    if (l.postLogoutRedirectUris().size() > MAX_REDIRECT_URIS) {
      out.add(
          new ValidationError(
              "post_logout_redirect_uris",
              "at most " + MAX_REDIRECT_URIS + " post-logout redirect URIs may be registered"));
    }
    for (int i = 0; i < l.postLogoutRedirectUris().size(); i++) {
      int index = i;
      RedirectUriRules.problemWith(l.postLogoutRedirectUris().get(i))
          .ifPresent(
              p ->
                  out.add(
                      new ValidationError(
                              "post_logout_redirect_uris", "post_logout_redirect_uris: " + p)
                          .at(index)));
    }
    if (l.backchannelLogoutUri().isPresent()) {
      Optional<String> problem = RedirectUriRules.problemWith(l.backchannelLogoutUri().get());
      if (problem.isPresent()) {
        out.add(
            new ValidationError(
                "backchannel_logout_uri", "backchannel_logout_uri: " + problem.get()));
      } else if (!l.backchannelLogoutUri().get().startsWith("https://")
          && !l.backchannelLogoutUri().get().startsWith("http://")) {
        out.add(
            new ValidationError(
                "backchannel_logout_uri",
                "backchannel_logout_uri must be an https URL (http only on loopback)"));
      }
    } else if (l.backchannelLogoutSessionRequired()) {
      out.add(
          new ValidationError(
              "backchannel_logout_session_required",
              "backchannel_logout_session_required needs a backchannel_logout_uri to send to"));
    }
    return out;
  }

  /**
   * The token exchange settings need the grant itself; an audience is a short printable value
   * without spaces (a logical name or an absolute URI, RFC 8693 §2.1), and a refresh token is only
   * of use to a client that may refresh.
   */
  private static List<ValidationError> tokenExchangeProblems(ClientMetadata m) {
    List<ValidationError> out = new ArrayList<>();
    TokenExchangeMetadata x = m.tokenExchange();
    if (!m.allows(GrantType.TOKEN_EXCHANGE) && !x.isNone()) {
      String field =
          x.audiences().isEmpty()
              ? x.allowImpersonation()
                  ? "token_exchange_allow_impersonation"
                  : "token_exchange_allow_refresh_token"
              : "token_exchange_audiences";
      out.add(
          new ValidationError(
              field, field + " needs " + GrantType.TOKEN_EXCHANGE.wire() + " in grant_types"));
      return out;
    }
    if (x.audiences().size() > MAX_EXCHANGE_AUDIENCES) {
      out.add(
          new ValidationError(
              "token_exchange_audiences",
              "token_exchange_audiences: at most "
                  + MAX_EXCHANGE_AUDIENCES
                  + " may be registered"));
    }
    for (int i = 0; i < x.audiences().size(); i++) {
      String a = x.audiences().get(i);
      if (a.isEmpty()
          || a.length() > MAX_AUDIENCE_LENGTH
          || !a.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
        out.add(
            new ValidationError(
                    "token_exchange_audiences",
                    "token_exchange_audiences: an audience is 1-"
                        + MAX_AUDIENCE_LENGTH
                        + " printable ASCII characters without spaces (a name or an absolute URI)")
                .at(i));
      }
    }
    if (x.allowRefreshToken() && !m.allows(GrantType.REFRESH_TOKEN)) {
      out.add(
          new ValidationError(
              "token_exchange_allow_refresh_token",
              "token_exchange_allow_refresh_token needs refresh_token in grant_types: the client"
                  + " must be able to use the refresh token"));
    }
    return out;
  }

  private static Optional<ValidationError> secretProblem(
      ClientMetadata m, Optional<String> secretHash) {
    if (m.type() == ClientType.PUBLIC) {
      return secretHash.isPresent()
          ? error("secret_hash", "a public client has no secret")
          : Optional.empty();
    }
    if (!m.tokenEndpointAuthMethod().usesSecret()) {
      return secretHash.isPresent()
          ? error("secret_hash", "a private_key_jwt client has keys, not a secret")
          : Optional.empty();
    }
    if (secretHash.isEmpty()) {
      return error("secret_hash", "a confidential client needs a secret hash");
    }
    return FieldRules.keyedHash("secret_hash", secretHash.get());
  }

  private static Optional<ValidationError> error(String field, String message) {
    return Optional.of(new ValidationError(field, message));
  }

  /**
   * The state after {@code event}. Events are facts already written, so one that cannot follow the
   * state (an update before registration) means a corrupt stream and throws.
   */
  public static ClientState evolve(ClientState state, ClientEvent event) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(event, "event");
    if (event instanceof ClientRegistered e) {
      if (state instanceof Registered) {
        throw corrupt(state, event);
      }
      return new Registered(
          e.clientId(), e.metadata(), e.secretHash(), Optional.empty(), false, e.registeredAt());
    }
    if (!(state instanceof Registered r) || !r.clientId().equals(event.clientId())) {
      throw corrupt(state, event);
    }
    if (event instanceof ClientUpdated e) {
      return new Registered(
          r.clientId(),
          e.metadata(),
          r.secretHash(),
          r.previousSecret(),
          r.disabled(),
          r.registeredAt(),
          r.disabledReason());
    }
    if (event instanceof ClientSecretRotated e) {
      return new Registered(
          r.clientId(),
          r.metadata(),
          Optional.of(e.secretHash()),
          Optional.of(new PreviousSecret(e.previousSecretHash(), e.previousValidUntil())),
          r.disabled(),
          r.registeredAt(),
          r.disabledReason());
    }
    if (event instanceof ClientDisabled e) {
      return new Registered(
          r.clientId(),
          r.metadata(),
          r.secretHash(),
          r.previousSecret(),
          true,
          r.registeredAt(),
          e.reason());
    }
    if (event instanceof ClientEnabled) {
      return new Registered(
          r.clientId(),
          r.metadata(),
          r.secretHash(),
          r.previousSecret(),
          false,
          r.registeredAt(),
          Optional.empty());
    }
    throw new IllegalArgumentException("unhandled client event " + event.type());
  }

  /** Folds a stream's events from the initial state. */
  public static ClientState replay(Iterable<? extends ClientEvent> events) {
    ClientState state = ClientState.initial();
    for (ClientEvent event : events) {
      state = evolve(state, event);
    }
    return state;
  }

  private static IllegalStateException corrupt(ClientState state, ClientEvent event) {
    return new IllegalStateException(
        "corrupt client stream: "
            + event.type()
            + " for '"
            + event.clientId()
            + "' cannot follow "
            + (state instanceof Registered r
                ? "registered client '" + r.clientId() + "'"
                : "an empty stream"));
  }
}
