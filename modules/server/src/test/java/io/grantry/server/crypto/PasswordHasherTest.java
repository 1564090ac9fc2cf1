package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each OWASP-cost hash takes tens of milliseconds: the tests share one hasher and few hashes. */
class PasswordHasherTest {
  /**
   * Made by the Argon2 reference implementation: {@code echo -n "correct horse battery staple" |
   * argon2 grantry-test-salt -id -t 2 -k 19456 -p 1 -l 32}.
   */
  private static final String REFERENCE =
      "$argon2id$v=19$m=19456,t=2,p=1$Z3JhbnRyeS10ZXN0LXNhbHQ$U7QnQUQXPZhIO9O/sRjwKIgtKLKz82samQDJA8ttM5U";

  private static PasswordHasher hasher;
  private static String aliceHash;

  @BeforeAll
  static void hashOnce() {
    hasher = new PasswordHasher();
    aliceHash = hasher.hash("alice's passphrase");
  }

  @Test
  void encodesInPhcFormatWithOwaspParameters() {
    assertThat(aliceHash)
        .matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    assertThat(aliceHash).doesNotContain("passphrase");
  }

  @Test
  void verifiesTheRightPasswordOnly() {
    assertThat(hasher.verify("alice's passphrase", aliceHash)).isTrue();
    assertThat(hasher.verify("alice's passphrasE", aliceHash)).isFalse();
  }

  @Test
  void readsHashesFromTheReferenceImplementation() {
    assertThat(hasher.verify("correct horse battery staple", REFERENCE)).isTrue();
    assertThat(hasher.needsRehash(REFERENCE)).isFalse();
  }

  @Test
  void unknownUsersCostAVerificationAndNeverPass() {
    long start = System.nanoTime();
    assertThat(hasher.verifyUnknownUser("alice's passphrase")).isFalse();
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    // It did real Argon2 work: far more than a string comparison would take.
    assertThat(elapsedMs).isGreaterThanOrEqualTo(5);
  }

  @Test
  void malformedHashesNeverVerify() {
    assertThat(hasher.verify("x", null)).isFalse();
    assertThat(hasher.verify("x", "")).isFalse();
    assertThat(
            hasher.verify("x", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"))
        .isFalse();
    assertThat(
            hasher.verify(
                "x", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"))
        .isFalse();
    assertThat(hasher.verify("x", "$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA")).isFalse();
    assertThat(hasher.verify(null, aliceHash)).isFalse();
  }

  @Test
  void needsRehashWhenParametersChange() {
    assertThat(hasher.needsRehash(aliceHash)).isFalse();
    assertThat(
            hasher.needsRehash(
                "$argon2id$v=19$m=65536,t=3,p=4$Z3JhbnRyeS10ZXN0LXNhbHQ$U7QnQUQXPZhIO9O/sRjwKIgtKLKz82samQDJA8ttM5U"))
        .isTrue();
    assertThat(hasher.needsRehash("pbkdf2$whatever")).isTrue();

    PasswordHasher cheaper =
        new PasswordHasher(new PasswordHasher.Parameters(1024, 1, 1), new SecureRandom());
    String old = cheaper.hash("pw-under-old-costs");
    assertThat(hasher.needsRehash(old)).isTrue();
    // ...and it still verifies under the parameters stored in it
    assertThat(hasher.verify("pw-under-old-costs", old)).isTrue();
  }
}
