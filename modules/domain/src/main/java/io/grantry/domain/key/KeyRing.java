package io.grantry.domain.key;

import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The server's signing keys as the {@code keys} stream leaves them. Immutable. */
public final class KeyRing {
  private static final KeyRing EMPTY = new KeyRing(Map.of());

  private final Map<String, SigningKey> keys;

  private KeyRing(Map<String, SigningKey> keys) {
    this.keys = keys;
  }

  public static KeyRing empty() {
    return EMPTY;
  }

  KeyRing with(SigningKey key) {
    Map<String, SigningKey> next = new LinkedHashMap<>(keys);
    next.put(key.kid(), key);
    return new KeyRing(Collections.unmodifiableMap(next));
  }

  public Optional<SigningKey> key(String kid) {
    return Optional.ofNullable(keys.get(kid));
  }

  /** All keys in the order they were generated, retired ones included. */
  public List<SigningKey> keys() {
    return List.copyOf(keys.values());
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /**
   * The key that signs new tokens of {@code alg}: the most recently activated one not retired.
   * Empty means the server must not issue tokens of that algorithm.
   */
  public Optional<SigningKey> active(SigningAlgorithm alg) {
    return keys.values().stream()
        .filter(k -> k.alg() == alg && k.status() == SigningKey.Status.ACTIVE)
        .max(Comparator.comparing(k -> k.activatedAt().orElseThrow()));
  }

  /** The keys whose public halves belong in the JWKS at {@code now}. */
  public List<SigningKey> published(Instant now) {
    return keys.values().stream()
        .filter(k -> k.isPublishedAt(now))
        .collect(Collectors.toUnmodifiableList());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyRing other && keys.equals(other.keys);
  }

  @Override
  public int hashCode() {
    return keys.hashCode();
  }

  @Override
  public String toString() {
    return "KeyRing" + keys.keySet();
  }
}
