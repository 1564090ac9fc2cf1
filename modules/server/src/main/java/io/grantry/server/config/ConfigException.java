package io.grantry.server.config;

/**
 * A configuration value is missing or wrong; the message names the setting and never its secret
 * value.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
