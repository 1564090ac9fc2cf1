package io.grantry.projections;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a projection's logical tables physically are: the live ones, or a rebuild's copies. */
public final class TableNames {
  public static final String REBUILD_SUFFIX = "__rebuild";
  private final Map<String, String> physical;

  private TableNames(Map<String, String> physical) {
    this.physical = physical;
  }

  public static TableNames live(Projection p) {
    Map<String, String> m = new LinkedHashMap<>();
    p.tables().forEach(t -> m.put(t, t));
    return new TableNames(m);
  }

  public static TableNames withSuffix(Projection p, String suffix) {
    if (!suffix.matches("[a-z0-9_]+")) {
      throw new IllegalArgumentException(
          "a table suffix is lower-case letters, digits and underscores");
    }
    Map<String, String> m = new LinkedHashMap<>();
    p.tables().forEach(t -> m.put(t, t + suffix));
    return new TableNames(m);
  }

  /** The tables of several projections together (their logical names are distinct). */
  public static TableNames union(Collection<TableNames> parts) {
    Map<String, String> m = new LinkedHashMap<>();
    for (TableNames t : parts) {
      for (var e : t.physical.entrySet()) {
        if (m.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("two projections own a table named " + e.getKey());
        }
      }
    }
    return new TableNames(m);
  }

  /** The physical name of a logical table; an unknown name is a programming error. */
  public String of(String logical) {
    String t = physical.get(logical);
    if (t == null) {
      throw new IllegalArgumentException("the projection does not own a table named " + logical);
    }
    return t;
  }

  public Map<String, String> all() {
    return physical;
  }
}
