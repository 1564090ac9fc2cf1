package io.grantry.server.users;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.user.PasswordPolicy;
import io.grantry.domain.user.SessionDecider;
import io.grantry.domain.user.UserCommand;
import io.grantry.domain.user.UserDecider;
import io.grantry.domain.user.UserEvent;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.domain.user.UserState;
import io.grantry.domain.user.UserStream;
import io.grantry.domain.user.UsernameClaimCodec;
import io.grantry.domain.user.UsernameClaimed;
import io.grantry.domain.user.Usernames;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.crypto.PasswordHashing;
import io.grantry.server.crypto.PasswordHashingBusyException;
import io.grantry.server.grants.GrantRevoker;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers users, changes their passwords and disables them, each through {@link Aggregate} on the
 * {@code user:<id>} stream. Passwords are checked against {@link PasswordPolicy}, hashed with
 * Argon2id by the server's bounded {@link PasswordHashing}, and only the hash reaches the ledger. A
 * refusal fails the future with {@link CommandRejected}; a hashing too busy to take the work, with
 * {@link PasswordHashingBusyException} (503).
 *
 * <p>Usernames are unique regardless of case. Uniqueness spans streams, so registration first
 * appends {@link UsernameClaimed} to {@code username:<normalized>} expecting no stream: of two
 * racing registrations exactly one creates the claim, the other is told the name is taken. Only
 * then is the user stream written. (Should that second append fail, the claim stays behind and the
 * name remains taken; the operator sees the claim and no user in the ledger.)
 */
public final class UserService {
  private static final Logger log = LoggerFactory.getLogger(UserService.class);

  /** The error of a lost claim, rendered as 409 {@code username is taken}. */
  public static final DomainError USERNAME_TAKEN =
      new DomainError.AlreadyExists("username", "username");

  private final EventStore store;
  private final Aggregate<UserStream, UserEvent> users;
  private final PasswordHashing passwords;

  /** Revokes a disabled user's grants; absent in the unit-test constructor. */
  private final GrantRevoker revoker;

  private final Clock clock;

  /**
   * @param store the event store the commands append to; it must carry the users projection
   * @param passwords hashes new passwords (Argon2id, bounded, on threads of its own)
   * @param revoker revokes a disabled user's grants (null: not)
   */
  public UserService(
      EventStore store, PasswordHashing passwords, GrantRevoker revoker, Clock clock) {
    this.revoker = revoker;
    this.store = store;
    this.users =
        new Aggregate<>(store, UserEventCodec.INSTANCE, UserStream.EMPTY, UserStream::evolve);
    this.passwords = passwords;
    this.clock = clock;
  }

  /** Registers a user with a new subject id (a random UUID) whose email is not verified. */
  public Future<UserState.Registered> register(
      String username,
      String password,
      Optional<String> email,
      Optional<String> name,
      Aggregate.Metadata who) {
    return register(username, password, email, name, false, who);
  }

  /**
   * Registers a user with a new subject id (a random UUID); {@code emailVerified} is what the
   * {@code email_verified} claim says (true needs an email).
   */
  public Future<UserState.Registered> register(
      String username,
      String password,
      Optional<String> email,
      Optional<String> name,
      boolean emailVerified,
      Aggregate.Metadata who) {
    Optional<ValidationError> problem =
        Usernames.problemWith(username).or(() -> PasswordPolicy.problemWith(password));
    if (problem.isPresent()) {
      return Future.failedFuture(new CommandRejected(problem.get()));
    }
    String userId = UUID.randomUUID().toString();
    return hash(password)
        .compose(
            hash -> {
              UserCommand.Register command =
                  new UserCommand.Register(userId, username, hash, email, name, emailVerified);
              // Decide once against the empty state before claiming, so an invalid request takes no
              // name.
              Decision<UserEvent> dryRun =
                  UserDecider.decide(UserState.initial(), command, clock.instant());
              if (dryRun instanceof Decision.Rejected<UserEvent> r) {
                return Future.failedFuture(new CommandRejected(r.error()));
              }
              return claim(userId, username, who).compose(v -> run(userId, command, who));
            })
        .onSuccess(u -> log.info("User {} registered by {}", u.userId(), actor(who)));
  }

  /** Replaces the user's password (checked against the policy, hashed with Argon2id). */
  public Future<UserState.Registered> setPassword(
      String userId, String password, Aggregate.Metadata who) {
    Optional<ValidationError> problem = PasswordPolicy.problemWith(password);
    if (problem.isPresent()) {
      return Future.failedFuture(new CommandRejected(problem.get()));
    }
    return users
        .load(UsersProjection.streamId(userId))
        .compose(
            loaded -> {
              // Refuse before paying for Argon2id when the user cannot take a new password anyway.
              if (!(loaded.state().account() instanceof UserState.Registered r)) {
                return Future.failedFuture(
                    new CommandRejected(new DomainError.NotFound("user", userId)));
              }
              if (r.disabled()) {
                return Future.failedFuture(
                    new CommandRejected(new DomainError.Disabled("user", userId)));
              }
              return hash(password)
                  .compose(hash -> run(userId, new UserCommand.ChangePassword(userId, hash), who));
            })
        .onSuccess(u -> log.info("User {} password set by {}", userId, actor(who)));
  }

  /**
   * Says whether the user's email address is verified (the {@code email_verified} claim of ID
   * tokens and userinfo from now on). Repeating it changes nothing.
   */
  public Future<UserState.Registered> setEmailVerified(
      String userId, boolean verified, Aggregate.Metadata who) {
    return run(userId, new UserCommand.SetEmailVerified(userId, verified), who)
        .onSuccess(
            u ->
                log.info(
                    "User {} email marked {} by {}",
                    userId,
                    verified ? "verified" : "unverified",
                    actor(who)));
  }

  /** Disables the user and revokes every grant they hold (their tokens stop working at once). */
  public Future<UserState.Registered> disable(String userId, Aggregate.Metadata who) {
    return run(userId, new UserCommand.Disable(userId), who)
        .onSuccess(u -> log.info("User {} disabled by {}", userId, actor(who)))
        .compose(
            u ->
                revoker == null
                    ? Future.succeededFuture(u)
                    : revoker.revokeUser(userId, RevocationReason.USER_DISABLED, who).map(n -> u));
  }

  /**
   * Lets a disabled user sign in again ({@code user.enabled.v1}); the sessions ended and grants
   * revoked when they were disabled stay so. Enabling an enabled user changes nothing.
   */
  public Future<UserState.Registered> enable(String userId, Aggregate.Metadata who) {
    return run(userId, new UserCommand.Enable(userId), who)
        .onSuccess(u -> log.info("User {} enabled by {}", userId, actor(who)));
  }

  private Future<String> hash(String password) {
    // Bounded Argon2id (PasswordHashing): busy means 503, never a stalled server.
    return passwords.hash(password);
  }

  private Future<Void> claim(String userId, String username, Aggregate.Metadata who) {
    UsernameClaimed claim = new UsernameClaimed(userId, username);
    NewEvent event =
        NewEvent.of(claim.type(), UsernameClaimCodec.INSTANCE.toJson(claim), who.toJson());
    return store
        .append(UsernameClaimed.streamId(username), ExpectedVersion.NO_STREAM, event)
        .<Void>mapEmpty()
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof WrongExpectedVersionException
                        ? new CommandRejected(USERNAME_TAKEN)
                        : err));
  }

  private Future<UserState.Registered> run(
      String userId, UserCommand command, Aggregate.Metadata who) {
    return users
        .execute(
            UsersProjection.streamId(userId),
            // A new password or a disabled account ends every session in the same append.
            state -> SessionDecider.decideAccount(state, command, clock.instant()),
            who)
        .compose(
            outcome ->
                outcome.accepted()
                    ? Future.succeededFuture((UserState.Registered) outcome.state().account())
                    : Future.failedFuture(new CommandRejected(outcome.error())));
  }

  /** Who acted, for a log line: the actor and, when there is one, the request. */
  private static String actor(Aggregate.Metadata who) {
    return who.requestId() == null
        ? who.actor()
        : who.actor() + " (request " + who.requestId() + ")";
  }
}
