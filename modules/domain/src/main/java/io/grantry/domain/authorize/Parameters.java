package io.grantry.domain.authorize;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parameters of an authorization request exactly as sent (the query of a GET, the form of a
 * POST): each name with every value it was given, in order. Kept whole so that every later step of
 * the flow can check the request again from what the client asked, against the client's
 * registration as it is then.
 */
public record Parameters(Map<String, List<String>> values) {
  public Parameters {
    Objects.requireNonNull(values, "values");
    Map<String, List<String>> copy = new LinkedHashMap<>();
    values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    values = Collections.unmodifiableMap(copy);
  }

  /** Every value of {@code name}, in order; empty when absent. */
  public List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  /** The first value of {@code name}, or null. */
  public String first(String name) {
    List<String> v = all(name);
    return v.isEmpty() ? null : v.get(0);
  }

  public boolean contains(String name) {
    return values.containsKey(name);
  }

  /** The one value of {@code name} when it was given exactly once, else null. */
  public String single(String name) {
    List<String> v = all(name);
    return v.size() == 1 ? v.get(0) : null;
  }
}
