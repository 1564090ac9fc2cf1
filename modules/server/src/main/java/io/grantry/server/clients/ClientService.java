package io.grantry.server.clients;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientCommand;
import io.grantry.domain.client.ClientDecider;
import io.grantry.domain.client.ClientEvent;
import io.grantry.domain.client.ClientEventCodec;
import io.grantry.domain.client.ClientIdClaimCodec;
import io.grantry.domain.client.ClientIdClaimed;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.DisableReason;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.grants.GrantRevoker;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers, updates, re-keys and disables clients: each command goes through {@link Aggregate}
 * (load the {@code client:<id>} stream, decide with {@link ClientDecider}, append with the version
 * read). Secrets are generated here, returned to the caller once, and only their keyed hash is
 * recorded. A refusal fails the future with {@link CommandRejected}.
 *
 * <p>Client ids are unique regardless of case ({@code DEMO-WEB} beside {@code demo-web} would be a
 * look-alike on a consent page, in the ledger and in logs), as usernames are. Uniqueness spans
 * streams, so registration first appends {@link ClientIdClaimed} to {@code client_id:<lower case>}
 * expecting no stream: of two racing registrations exactly one creates the claim. Clients
 * registered before claims existed have none; registration also looks for them in the {@code
 * clients} projection (written in the append's transaction, so never behind an acknowledged
 * registration) and refuses their id in any case. Lookups stay exact: the id a client registered is
 * the id it authenticates with. (Should the registration fail after its claim, the id stays taken;
 * the operator sees the claim and no client in the ledger.)
 */
public final class ClientService {
  private static final Logger log = LoggerFactory.getLogger(ClientService.class);
  private static final char[] ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  /** 20 characters of 36: about 103 bits, so generated ids never collide in practice. */
  private static final int GENERATED_ID_LENGTH = 20;

  /** The refusal of an id taken in any case: 409 {@code client_id is taken}. */
  public static final DomainError CLIENT_ID_TAKEN =
      new DomainError.AlreadyExists("client_id", "client_id");

  private final EventStore store;
  private final Aggregate<ClientState, ClientEvent> clients;
  private final ClientSecrets secrets;

  /** Revokes a disabled client's grants; absent in the unit-test constructors. */
  private final GrantRevoker revoker;

  private final ClientCache cache;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  /** An If-Match that any version meets: the command applies to the client as it is then. */
  public static final LongPredicate ANY_VERSION = v -> true;

  /**
   * A client as a command left it, with its new secret when the command made one (shown once, never
   * stored), and the version of its stream after the command (what an ETag names).
   */
  public record Issued(ClientState.Registered client, Optional<String> clientSecret, long version) {
    @Override
    public String toString() {
      return "Issued["
          + client.clientId()
          + ", clientSecret="
          + (clientSecret.isPresent() ? "<redacted>" : "none")
          + "]";
    }
  }

  /**
   * @param store the event store the commands append to; it must carry the clients projection
   * @param secrets generates and hashes client secrets
   * @param cache the client lookup cache this process's changes drop (null: none)
   * @param revoker revokes a disabled client's grants (null: not)
   */
  public ClientService(
      EventStore store,
      ClientSecrets secrets,
      Clock clock,
      ClientCache cache,
      GrantRevoker revoker) {
    this.store = store;
    this.revoker = revoker;
    this.clients =
        new Aggregate<>(
            store, ClientEventCodec.INSTANCE, ClientState.initial(), ClientDecider::evolve);
    this.secrets = secrets;
    this.clock = clock;
    this.cache = cache;
  }

  /**
   * Registers a client under {@code clientId}, or a generated id when empty. A confidential client
   * gets a generated secret (256 random bits), returned in {@link Issued#clientSecret()}.
   */
  public Future<Issued> register(
      Optional<String> clientId, ClientMetadata metadata, Aggregate.Metadata who) {
    String id = clientId.orElseGet(this::newClientId);
    Optional<ClientSecrets.Generated> generated =
        metadata.type() == ClientType.CONFIDENTIAL
                && metadata.tokenEndpointAuthMethod().usesSecret()
            ? Optional.of(newSecret(metadata))
            : Optional.empty();
    Optional<String> secret = generated.map(ClientSecrets.Generated::secret);
    ClientCommand command =
        new ClientCommand.Register(id, metadata, generated.map(ClientSecrets.Generated::hash));
    // Decide once against the empty state before claiming, so that an invalid request takes no id.
    if (ClientDecider.decide(ClientState.initial(), command, clock.instant())
        instanceof Decision.Rejected<ClientEvent> r) {
      return Future.failedFuture(new CommandRejected(r.error()));
    }
    return registeredBeforeClaims(id)
        .compose(
            taken ->
                taken
                    ? Future.<Void>failedFuture(new CommandRejected(CLIENT_ID_TAKEN))
                    : claim(id, who))
        .compose(v -> run(id, ANY_VERSION, command, who))
        .map(
            done -> {
              log.info("Client {} ({}) registered by {}", id, metadata.type().wire(), actor(who));
              return new Issued(done.client(), secret, done.version());
            });
  }

  /**
   * Gives a confidential client a new secret; the current one keeps working for {@code grace} (zero
   * ends it now), so a deployment can roll over without downtime.
   */
  public Future<Issued> rotateSecret(String clientId, Duration grace, Aggregate.Metadata who) {
    // The new secret's kind follows the client's method as it is now (a client_secret_jwt secret
    // can be recomputed by the server), so the lookup comes first; the command decides on the
    // state it reads itself.
    return clients
        .load(ClientsProjection.streamId(clientId))
        .compose(
            loaded -> {
              ClientSecrets.Generated generated =
                  loaded.state() instanceof ClientState.Registered r
                      ? newSecret(r.metadata())
                      : newSecret(null);
              return rotate(clientId, generated, grace, who);
            });
  }

  private Future<Issued> rotate(
      String clientId, ClientSecrets.Generated generated, Duration grace, Aggregate.Metadata who) {
    String secret = generated.secret();
    return run(
            clientId,
            ANY_VERSION,
            new ClientCommand.RotateSecret(clientId, generated.hash(), grace),
            who)
        .map(
            done -> {
              log.info(
                  "Client {} secret rotated by {}, previous secret valid for {}",
                  clientId,
                  actor(who),
                  grace);
              return new Issued(done.client(), Optional.of(secret), done.version());
            });
  }

  /** Disables the client and revokes every grant it holds (its tokens stop working at once). */
  public Future<ClientState.Registered> disable(String clientId, Aggregate.Metadata who) {
    return disable(clientId, Optional.empty(), ANY_VERSION, who).map(Issued::client);
  }

  /**
   * Disables the client, for {@code reason} if given, if its stream is at a version {@code ifMatch}
   * accepts, and revokes every grant it holds (its tokens stop working at once). Repeating it
   * changes nothing, except that a client disabled for another reason may be marked compromised.
   */
  public Future<Issued> disable(
      String clientId,
      Optional<DisableReason> reason,
      LongPredicate ifMatch,
      Aggregate.Metadata who) {
    return run(clientId, ifMatch, new ClientCommand.Disable(clientId, reason), who)
        .onSuccess(
            c ->
                log.info(
                    "Client {} disabled by {}{}",
                    clientId,
                    actor(who),
                    reason.map(r -> " as " + r.wire()).orElse("")))
        .compose(
            c ->
                revoker == null
                    ? Future.succeededFuture(c)
                    : revoker
                        .revokeClient(clientId, RevocationReason.CLIENT_DISABLED, who)
                        .map(n -> c))
        .map(done -> new Issued(done.client(), Optional.empty(), done.version()));
  }

  /**
   * A new secret for a client of {@code metadata}: one the server can recompute for {@code
   * client_secret_jwt} (HS256 needs it), else a random one known only as its keyed hash.
   */
  private ClientSecrets.Generated newSecret(ClientMetadata metadata) {
    if (metadata != null
        && metadata.tokenEndpointAuthMethod() == TokenEndpointAuthMethod.CLIENT_SECRET_JWT) {
      return secrets.generateDerived();
    }
    String secret = secrets.generate();
    return new ClientSecrets.Generated(secret, secrets.hash(secret));
  }

  /**
   * Changes a client in one append, decided against its current state so that racing changes each
   * apply to what the other left: {@code change} gives the new metadata from the current one (a
   * merge patch, or a whole replacement), and {@code disabled} false enables a disabled client
   * first ({@code client.enabled.v1}, then {@code client.updated.v1} if anything else changed).
   * {@code disabled} true disables it after the update, as {@link #disable} does (its grants
   * revoked). A refusal thrown by {@code change} ({@link CommandRejected}) fails the future.
   */
  public Future<ClientState.Registered> change(
      String clientId,
      Function<ClientMetadata, ClientMetadata> change,
      Optional<Boolean> disabled,
      Aggregate.Metadata who) {
    return change(clientId, change, disabled, ANY_VERSION, who).map(Issued::client);
  }

  /**
   * {@link #change}, only if the client's stream is at a version {@code ifMatch} accepts when the
   * change is decided (else {@link DomainError.Stale}): a caller that read the client and decided
   * from what it saw changes nothing that changed meanwhile. A client disabled as compromised is
   * enabled ({@code disabled} false) only by a change that replaces its keys.
   */
  public Future<Issued> change(
      String clientId,
      Function<ClientMetadata, ClientMetadata> change,
      Optional<Boolean> disabled,
      LongPredicate ifMatch,
      Aggregate.Metadata who) {
    Function<ClientState, Decision<ClientEvent>> decide =
        state -> {
          if (!(state instanceof ClientState.Registered current)) {
            return Decision.reject(new DomainError.NotFound("client", clientId));
          }
          ClientMetadata next;
          try {
            next = change.apply(current.metadata());
          } catch (CommandRejected e) {
            return Decision.reject(e.error());
          }
          if (disabled.equals(Optional.of(true))
              && current.disabled()
              && next.equals(current.metadata())) {
            return Decision.unchanged(); // already so: disable() below changes nothing either
          }
          ClientCommand.Update update = new ClientCommand.Update(clientId, next);
          return disabled.equals(Optional.of(false))
              ? ClientDecider.enableAndUpdate(
                  current, new ClientCommand.Enable(clientId), update, clock.instant())
              : ClientDecider.decide(current, update, clock.instant());
        };
    Future<Versioned> changed =
        run(clientId, ifMatch, decide, who)
            .onSuccess(c -> log.info("Client {} changed by {}", clientId, actor(who)));
    Future<Versioned> done =
        disabled.equals(Optional.of(true))
            ? changed.compose(
                c ->
                    disable(clientId, Optional.empty(), ANY_VERSION, who)
                        .map(d -> new Versioned(d.client(), d.version())))
            : changed;
    return done.map(v -> new Issued(v.client(), Optional.empty(), v.version()));
  }

  /**
   * Lets a disabled client authenticate again ({@code client.enabled.v1}); the grants revoked when
   * it was disabled stay revoked. Enabling an enabled client changes nothing.
   */
  public Future<ClientState.Registered> enable(String clientId, Aggregate.Metadata who) {
    return enable(clientId, false, ANY_VERSION, who).map(Issued::client);
  }

  /**
   * Enables the client if its stream is at a version {@code ifMatch} accepts; with {@code
   * rotateSecret}, gives it a new secret in the same append ({@code client.secret_rotated.v1}, the
   * old secret ending at once), returned in {@link Issued#clientSecret()}. A client that uses a
   * secret and was disabled as compromised is enabled only so.
   */
  public Future<Issued> enable(
      String clientId, boolean rotateSecret, LongPredicate ifMatch, Aggregate.Metadata who) {
    Future<Optional<ClientSecrets.Generated>> secret =
        !rotateSecret
            ? Future.succeededFuture(Optional.empty())
            : clients
                .load(ClientsProjection.streamId(clientId))
                .map(
                    loaded ->
                        Optional.of(
                            loaded.state() instanceof ClientState.Registered r
                                ? newSecret(r.metadata())
                                : newSecret(null)));
    return secret.compose(
        generated ->
            run(
                    clientId,
                    ifMatch,
                    new ClientCommand.Enable(
                        clientId, generated.map(ClientSecrets.Generated::hash)),
                    who)
                .map(
                    done -> {
                      log.info(
                          "Client {} enabled by {}{}",
                          clientId,
                          actor(who),
                          generated.isPresent() ? " with a new secret" : "");
                      return new Issued(
                          done.client(),
                          generated.map(ClientSecrets.Generated::secret),
                          done.version());
                    }));
  }

  /** True if a client registered without a claim already has {@code id} in some case. */
  private Future<Boolean> registeredBeforeClaims(String id) {
    return store
        .pool()
        .preparedQuery("SELECT 1 FROM clients WHERE lower(client_id) = $1 LIMIT 1")
        .execute(Tuple.of(ClientIdClaimed.normalize(id)))
        .map(rows -> rows.size() > 0);
  }

  private Future<Void> claim(String id, Aggregate.Metadata who) {
    ClientIdClaimed claim = new ClientIdClaimed(id);
    NewEvent event =
        NewEvent.of(claim.type(), ClientIdClaimCodec.INSTANCE.toJson(claim), who.toJson());
    return store
        .append(ClientIdClaimed.streamId(id), ExpectedVersion.NO_STREAM, event)
        .<Void>mapEmpty()
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof WrongExpectedVersionException
                        ? new CommandRejected(CLIENT_ID_TAKEN)
                        : err));
  }

  /** A client after a command, and its stream's version then. */
  private record Versioned(ClientState.Registered client, long version) {}

  private Future<Versioned> run(
      String clientId, LongPredicate ifMatch, ClientCommand command, Aggregate.Metadata who) {
    return run(
        clientId, ifMatch, state -> ClientDecider.decide(state, command, clock.instant()), who);
  }

  /**
   * Decides and appends on the client's stream as read, if {@code ifMatch} accepts the version it
   * was read at (a lost race reads again, and a version the caller did not see is then refused).
   */
  private Future<Versioned> run(
      String clientId,
      LongPredicate ifMatch,
      Function<ClientState, Decision<ClientEvent>> decide,
      Aggregate.Metadata who) {
    return clients
        .executeKnowingVersion(
            ClientsProjection.streamId(clientId),
            loaded ->
                loaded.state() instanceof ClientState.Registered && !ifMatch.test(loaded.version())
                    ? Decision.reject(new DomainError.Stale("client", clientId))
                    : decide.apply(loaded.state()),
            who)
        // Whatever happened, this process's cached view of the client is no longer to be trusted.
        .andThen(
            ar -> {
              if (cache != null) {
                cache.invalidate(clientId);
              }
            })
        .compose(
            outcome ->
                outcome.accepted()
                    ? Future.succeededFuture(
                        new Versioned((ClientState.Registered) outcome.state(), outcome.version()))
                    : Future.failedFuture(new CommandRejected(outcome.error())));
  }

  private String newClientId() {
    char[] out = new char[GENERATED_ID_LENGTH];
    for (int i = 0; i < out.length; i++) {
      out[i] = ID_ALPHABET[random.nextInt(ID_ALPHABET.length)];
    }
    return new String(out);
  }

  /** Who acted, for a log line: the actor and, when there is one, the request. */
  private static String actor(Aggregate.Metadata who) {
    return who.requestId() == null
        ? who.actor()
        : who.actor() + " (request " + who.requestId() + ")";
  }
}
