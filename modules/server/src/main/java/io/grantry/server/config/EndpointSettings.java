package io.grantry.server.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Endpoint path profiles: which other servers' paths are served beside Grantry's own ({@code
 * /authorize}, {@code /token}, …), which stay served whatever is set here. An aliased path is the
 * same route as its canonical one (same handlers), and is counted in metrics and named in logs
 * under the canonical path.
 *
 * @param aliases GRANTRY_ENDPOINT_ALIASES: a comma-separated list of profiles, each {@code duende}
 *     or {@code okta} (default: none, and the aliased paths are 404)
 * @param primary GRANTRY_ENDPOINT_PRIMARY: {@code grantry} (the default: discovery advertises the
 *     canonical paths) or one of the profiles listed in GRANTRY_ENDPOINT_ALIASES, whose paths
 *     discovery then advertises instead; empty for {@code grantry}
 */
public record EndpointSettings(Set<EndpointProfile> aliases, Optional<EndpointProfile> primary) {
  /** The value of GRANTRY_ENDPOINT_PRIMARY that means Grantry's own paths. */
  static final String CANONICAL = "grantry";

  public EndpointSettings {
    aliases = aliases.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(aliases));
    if (primary.isPresent() && !aliases.contains(primary.get())) {
      throw new IllegalArgumentException("the primary profile must be one of the aliases");
    }
  }

  /** No profile: Grantry's paths only. */
  public static EndpointSettings none() {
    return new EndpointSettings(Set.of(), Optional.empty());
  }

  static EndpointSettings read(Settings s) {
    Set<EndpointProfile> aliases = EnumSet.noneOf(EndpointProfile.class);
    Optional<String> list = s.text("GRANTRY_ENDPOINT_ALIASES");
    if (list.isPresent()) {
      for (String name : list.get().split(",")) {
        String n = name.trim();
        if (n.isEmpty()) {
          continue;
        }
        aliases.add(
            EndpointProfile.fromWire(n)
                .orElseThrow(
                    () ->
                        new ConfigException(
                            "GRANTRY_ENDPOINT_ALIASES must list profiles among "
                                + profileNames()
                                + ", got '"
                                + n
                                + "'")));
      }
    }
    Optional<EndpointProfile> primary = Optional.empty();
    Optional<String> p = s.text("GRANTRY_ENDPOINT_PRIMARY");
    if (p.isPresent() && !p.get().equalsIgnoreCase(CANONICAL)) {
      EndpointProfile profile =
          EndpointProfile.fromWire(p.get())
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "GRANTRY_ENDPOINT_PRIMARY must be "
                              + CANONICAL
                              + " or one of "
                              + profileNames()
                              + ", got '"
                              + p.get()
                              + "'"));
      if (!aliases.contains(profile)) {
        throw new ConfigException(
            "GRANTRY_ENDPOINT_PRIMARY="
                + profile.wire()
                + " needs "
                + profile.wire()
                + " in GRANTRY_ENDPOINT_ALIASES (its paths must be served to be advertised)");
      }
      primary = Optional.of(profile);
    }
    return new EndpointSettings(aliases, primary);
  }

  private static String profileNames() {
    return Arrays.stream(EndpointProfile.values())
        .map(EndpointProfile::wire)
        .collect(Collectors.joining(", "));
  }
}
