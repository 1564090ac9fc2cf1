package io.grantry.server.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-ins through the sign-in page, logged and counted ({@code grantry_sign_ins_total{outcome}}:
 * {@code success}, {@code failure} for a wrong username or password, {@code error} when the check
 * could not be made, e.g. the database or the password hashing was unavailable). A success names
 * the user's id; a failure names nobody: what was typed as a username is sometimes a password, and
 * it is never logged. The line's request fields name the client and the request.
 */
public final class SignIns {
  private static final Logger log = LoggerFactory.getLogger(SignIns.class);
  static final String NAME = "grantry.sign.ins";

  private final Counter success;
  private final Counter failure;
  private final Counter error;

  public SignIns(MeterRegistry registry) {
    this.success = counter(registry, "success");
    this.failure = counter(registry, "failure");
    this.error = counter(registry, "error");
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder(NAME)
        .tag("outcome", outcome)
        .description("Sign-ins on the sign-in page, by outcome")
        .register(registry);
  }

  public void succeeded(String userId) {
    success.increment();
    log.info("Sign-in succeeded: user {}", userId);
  }

  public void failed() {
    failure.increment();
    log.info("Sign-in failed: wrong username or password");
  }

  public void couldNotCheck(Throwable err) {
    error.increment();
    log.warn("Sign-in could not be checked: {}", err.getClass().getSimpleName());
  }
}
