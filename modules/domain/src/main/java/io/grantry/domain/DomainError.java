package io.grantry.domain;

import java.util.Objects;

/**
 * Why a domain decision refused a command. A closed set: every caller (admin API, CLI, token
 * endpoint) maps exactly these cases, and no string codes travel through the code base.
 */
public sealed interface DomainError
    permits DomainError.ValidationError, DomainError.AlreadyExists, DomainError.NotFound, DomainError.Disabled {

  /** A human-readable sentence; never contains a secret. */
  String message();

  /**
   * A command field holds a value the domain does not accept.
   *
   * @param field   the command field in the wire spelling, e.g. {@code redirect_uris}
   * @param message what is wrong, naming the offending value when it is not secret
   */
  record ValidationError(String field, String message) implements DomainError {
    public ValidationError {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(message, "message");
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
}
