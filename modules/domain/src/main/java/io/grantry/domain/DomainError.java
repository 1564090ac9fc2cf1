package io.grantry.domain;

import io.grantry.domain.oauth.OAuthError;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why a domain decision refused a command. A closed set: every caller (admin API, CLI, token
 * endpoint) maps exactly these cases, and no string codes travel through the code base.
 *
 * <p>Protocol refusals that a client sees as such ({@code invalid_grant}, {@code invalid_scope}, …)
 * are {@link OAuth}: the grant decider speaks RFC 6749 directly, so the token endpoint renders the
 * error it is given instead of translating. The other variants mean a caller broke a contract (a
 * malformed hash, an unknown id) and render as {@code server_error} or, in the admin API, as
 * themselves.
 */
public sealed interface DomainError
    permits DomainError.ValidationError,
        DomainError.ValidationErrors,
        DomainError.AlreadyExists,
        DomainError.NotFound,
        DomainError.Disabled,
        DomainError.Stale,
        DomainError.CredentialsMustChange,
        DomainError.OAuth {

  /** A human-readable sentence; never contains a secret. */
  String message();

  /**
   * A command field holds a value the domain does not accept.
   *
   * @param field the command field in the wire spelling, e.g. {@code redirect_uris}
   * @param message what is wrong, naming the offending value when it is not secret
   * @param pointer where in the request body (RFC 6901 JSON Pointer), e.g. {@code
   *     /redirect_uris/1}; {@code /<field>} when the field as a whole is at fault
   */
  record ValidationError(String field, String message, String pointer) implements DomainError {
    public ValidationError {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(pointer, "pointer");
    }

    /** The field as a whole is at fault. */
    public ValidationError(String field, String message) {
      this(field, message, "/" + field);
    }

    /** The same problem at the {@code index}-th item of the field's array. */
    public ValidationError at(int index) {
      return new ValidationError(field, message, pointer + "/" + index);
    }
  }

  /**
   * Several fields (or items of one) hold values the domain does not accept: every problem found,
   * in the order the rules are written, so that one answer names them all.
   */
  record ValidationErrors(List<ValidationError> errors) implements DomainError {
    public ValidationErrors {
      errors = List.copyOf(errors);
      if (errors.isEmpty()) {
        throw new IllegalArgumentException("no validation error");
      }
    }

    @Override
    public String message() {
      return errors.stream().map(ValidationError::message).collect(Collectors.joining("; "));
    }

    /** One problem as itself, several as a {@link ValidationErrors}; empty: none. */
    public static Optional<DomainError> of(List<ValidationError> errors) {
      return errors.isEmpty()
          ? Optional.empty()
          : Optional.of(errors.size() == 1 ? errors.get(0) : new ValidationErrors(errors));
    }
  }

  /** The aggregate (or, for a key ring, the key) already exists. */
  record AlreadyExists(String kind, String id) implements DomainError {
    @Override
    public String message() {
      return kind + " '" + id + "' already exists";
    }
  }

  /** The aggregate (or key) does not exist. */
  record NotFound(String kind, String id) implements DomainError {
    @Override
    public String message() {
      return kind + " '" + id + "' does not exist";
    }
  }

  /** The aggregate is disabled; only reads remain possible. */
  record Disabled(String kind, String id) implements DomainError {
    @Override
    public String message() {
      return kind + " '" + id + "' is disabled";
    }
  }

  /**
   * The aggregate is no longer at the version the command was made for (the caller read it, and it
   * changed since: HTTP's If-Match no longer holds).
   */
  record Stale(String kind, String id) implements DomainError {
    @Override
    public String message() {
      return kind
          + " '"
          + id
          + "' has changed since the version this request was made for; read it"
          + " again and decide again";
    }
  }

  /**
   * A client disabled as compromised is enabled only together with new credentials, so that what
   * leaked does not work again.
   *
   * @param how what the command must bring, in the request's words
   */
  record CredentialsMustChange(String kind, String id, String how) implements DomainError {
    @Override
    public String message() {
      return kind
          + " '"
          + id
          + "' was disabled as compromised: its current credentials must not work again, so it is"
          + " enabled only together with new ones: "
          + how;
    }
  }

  /** A refusal to be answered with exactly this OAuth error (RFC 6749 §4.1.2.1, §5.2). */
  record OAuth(OAuthError error) implements DomainError {
    public OAuth {
      Objects.requireNonNull(error, "error");
    }

    @Override
    public String message() {
      return error.code().wire() + ": " + error.description();
    }
  }
}
