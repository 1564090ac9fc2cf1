package io.grantry.server.crypto;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * User passwords as Argon2id (RFC 9106) via Bouncy Castle, with OWASP's current minimum parameters
 * (m=19456 KiB, t=2, p=1), a 16-byte random salt and a 32-byte tag, stored in the PHC string
 * format: {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>} (standard base64, no padding), which
 * other Argon2 implementations read.
 *
 * <p><strong>Blocking.</strong> One hash or verification takes tens of milliseconds of CPU and 19
 * MiB of memory, by design. Never call it on an event loop: the server runs it through {@link
 * PasswordHashing}, whose bounded concurrency bounds the memory and CPU in use.
 *
 * <p>Sign-in for an unknown username must cost the same as for a known one, or the response time
 * tells which usernames exist: call {@link #verifyUnknownUser} there.
 */
public final class PasswordHasher {
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODER = Base64.getDecoder();
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  // Bounds on parameters read back from a stored hash, so a corrupted or planted row cannot
  // make one verification allocate gigabytes or spin for minutes.
  private static final int MAX_MEMORY_KIB = 1 << 20;
  private static final int MAX_ITERATIONS = 16;
  private static final int MAX_PARALLELISM = 16;

  /** Argon2id cost parameters. */
  public record Parameters(int memoryKib, int iterations, int parallelism) {
    /** OWASP Password Storage Cheat Sheet, Argon2id minimum: m=19 MiB, t=2, p=1. */
    public static final Parameters OWASP = new Parameters(19456, 2, 1);

    public Parameters {
      if (parallelism < 1
          || parallelism > MAX_PARALLELISM
          || iterations < 1
          || iterations > MAX_ITERATIONS
          || memoryKib < 8 * parallelism
          || memoryKib > MAX_MEMORY_KIB) {
        throw new IllegalArgumentException(
            "Argon2id parameters out of range: m="
                + memoryKib
                + ", t="
                + iterations
                + ", p="
                + parallelism);
      }
    }
  }

  private final Parameters parameters;
  private final SecureRandom random;
  private final String dummyHash;

  /** OWASP parameters. Computes one hash (for {@link #verifyUnknownUser}): blocking. */
  public PasswordHasher() {
    this(Parameters.OWASP, new SecureRandom());
  }

  /** Computes one hash (for {@link #verifyUnknownUser}): blocking. */
  public PasswordHasher(Parameters parameters, SecureRandom random) {
    this.parameters = Objects.requireNonNull(parameters, "parameters");
    this.random = Objects.requireNonNull(random, "random");
    this.dummyHash = hash("grantry: no such user, same cost");
  }

  public Parameters parameters() {
    return parameters;
  }

  /** The PHC string for {@code password} with a fresh salt. Blocking. */
  public String hash(CharSequence password) {
    Objects.requireNonNull(password, "password");
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] tag = argon2(password, salt, parameters, HASH_BYTES);
    return "$argon2id$v=19$m="
        + parameters.memoryKib()
        + ",t="
        + parameters.iterations()
        + ",p="
        + parameters.parallelism()
        + "$"
        + B64.encodeToString(salt)
        + "$"
        + B64.encodeToString(tag);
  }

  /**
   * True if {@code password} matches {@code encoded}, using the parameters stored in it (so hashes
   * made under older parameters still verify). False for a malformed hash. The tags are compared in
   * constant time. Blocking.
   */
  public boolean verify(CharSequence password, String encoded) {
    if (password == null) {
      return false;
    }
    Parsed parsed = Parsed.of(encoded);
    if (parsed == null) {
      return false;
    }
    byte[] actual = argon2(password, parsed.salt, parsed.parameters, parsed.tag.length);
    return MessageDigest.isEqual(parsed.tag, actual);
  }

  /**
   * Spends the same work as verifying a real user's password, and returns false. Call it when the
   * username is unknown so timing does not reveal which usernames exist. Blocking.
   */
  public boolean verifyUnknownUser(CharSequence password) {
    verify(password == null ? "" : password, dummyHash);
    return false;
  }

  /**
   * True if {@code encoded} was not made with this hasher's algorithm and parameters: after a
   * successful sign-in, hash the password again and record the change.
   */
  public boolean needsRehash(String encoded) {
    Parsed parsed = Parsed.of(encoded);
    return parsed == null
        || !parsed.parameters.equals(parameters)
        || parsed.salt.length < SALT_BYTES
        || parsed.tag.length != HASH_BYTES;
  }

  private static byte[] argon2(CharSequence password, byte[] salt, Parameters p, int length) {
    Argon2Parameters params =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(p.memoryKib())
            .withIterations(p.iterations())
            .withParallelism(p.parallelism())
            .withSalt(salt)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] passwordBytes = utf8(password);
    byte[] out = new byte[length];
    try {
      generator.generateBytes(passwordBytes, out);
    } finally {
      Arrays.fill(passwordBytes, (byte) 0);
    }
    return out;
  }

  /** UTF-8 bytes without an intermediate String that would linger until collected. */
  private static byte[] utf8(CharSequence password) {
    ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    if (buffer.hasArray()) {
      Arrays.fill(buffer.array(), (byte) 0);
    }
    return bytes;
  }

  private static final class Parsed {
    final Parameters parameters;
    final byte[] salt;
    final byte[] tag;

    private Parsed(Parameters parameters, byte[] salt, byte[] tag) {
      this.parameters = parameters;
      this.salt = salt;
      this.tag = tag;
    }

    /**
     * The parts of {@code $argon2id$v=19$m=..,t=..,p=..$salt$hash}, or null if it is anything else.
     */
    static Parsed of(String encoded) {
      if (encoded == null || encoded.length() > 512) {
        return null;
      }
      String[] parts = encoded.split("\\$", -1);
      if (parts.length != 6
          || !parts[0].isEmpty()
          || !parts[1].equals("argon2id")
          || !parts[2].equals("v=19")) {
        return null;
      }
      String[] costs = parts[3].split(",", -1);
      if (costs.length != 3
          || !costs[0].startsWith("m=")
          || !costs[1].startsWith("t=")
          || !costs[2].startsWith("p=")) {
        return null;
      }
      try {
        Parameters parameters =
            new Parameters(
                Integer.parseInt(costs[0].substring(2)),
                Integer.parseInt(costs[1].substring(2)),
                Integer.parseInt(costs[2].substring(2)));
        byte[] salt = B64_DECODER.decode(parts[4]);
        byte[] tag = B64_DECODER.decode(parts[5]);
        if (salt.length < 8 || salt.length > 64 || tag.length < 16 || tag.length > 64) {
          return null;
        }
        return new Parsed(parameters, salt, tag);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }
}
