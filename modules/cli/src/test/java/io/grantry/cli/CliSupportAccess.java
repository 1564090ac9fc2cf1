package io.grantry.cli;

import java.util.Map;

/**
 * Lets tests in other packages run a {@code grantry} command in this JVM against given settings.
 */
public final class CliSupportAccess {
  private CliSupportAccess() {}

  public record Run(int code, String out, String err) {}

  public static Run run(Map<String, String> env, String... args) {
    Map<String, String> before = CliSupport.env;
    CliSupport.env = env;
    try {
      CliTest.Run r = CliTest.run(args);
      return new Run(r.code(), r.out(), r.err());
    } finally {
      CliSupport.env = before;
    }
  }
}
