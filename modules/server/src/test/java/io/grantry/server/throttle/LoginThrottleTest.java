package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  final LoginThrottle throttle =
      new LoginThrottle(
          3, 5, Duration.ofMinutes(15), Duration.ofMillis(500), Duration.ofSeconds(2));

  @Test
  void failuresPastTheAllowanceSlowTheNextAttemptsOfThatAccount() {
    for (int i = 0; i < 3; i++) {
      assertThat(throttle.delayMillis("ann", "10.0.0.1")).isZero();
      throttle.failed("ann", "10.0.0.1");
    }
    assertThat(throttle.delayMillis("ann", "10.0.0.9")).isZero();
    throttle.failed("ann", "10.0.0.1");
    assertThat(throttle.delayMillis("ann", "10.0.0.9")).isEqualTo(500);
    throttle.failed("ann", "10.0.0.1");
    throttle.failed("ann", "10.0.0.1");
    throttle.failed("ann", "10.0.0.1");
    throttle.failed("ann", "10.0.0.1");
    assertThat(throttle.delayMillis("ann", "10.0.0.9")).isEqualTo(2000);
    assertThat(throttle.delayMillis("bob", "10.0.0.9")).isZero();
    throttle.succeeded("ann");
    assertThat(throttle.delayMillis("ann", "10.0.0.9")).isZero();
  }

  @Test
  void oneAddressGuessingManyAccountsIsSlowedToo() {
    for (int i = 0; i < 6; i++) {
      throttle.failed("user" + i, "10.0.0.7");
    }
    assertThat(throttle.delayMillis("someone-new", "10.0.0.7")).isEqualTo(500);
    assertThat(throttle.delayMillis("someone-new", "10.0.0.8")).isZero();
  }
}
