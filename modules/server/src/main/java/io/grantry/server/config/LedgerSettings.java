package io.grantry.server.config;

import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.TreeHead;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The ledger's own upkeep: its signed checkpoints, the tree heads of its Merkle tree (RFC 9162)
 * signed with them, and where those heads are published.
 *
 * @param checkpointInterval GRANTRY_CHECKPOINT_INTERVAL_MS: how often a signed checkpoint (with the
 *     tree head) is appended (1 min; 0 to 86,400,000 ms; 0: never)
 * @param origin GRANTRY_LEDGER_ORIGIN: the log's name in its signed tree heads, the first line of
 *     each note and the name of its note key (the issuer's host, port and path, then {@code
 *     /ledger}: {@code https://id.example.com/t1} gives {@code id.example.com/t1/ledger}); not
 *     empty, no spaces, control characters or {@code +}
 * @param publishDirectory GRANTRY_LEDGER_PUBLISH_DIR: a directory where each new signed tree head
 *     is written, {@code checkpoint} (the latest, replaced atomically) and {@code heads/<size>}
 *     (none)
 * @param witness GRANTRY_LEDGER_WITNESS_URL and GRANTRY_LEDGER_WITNESS_KEY: a witness each new tree
 *     head is submitted to (none; the key is required with the URL)
 */
public record LedgerSettings(
    Duration checkpointInterval,
    String origin,
    Optional<Path> publishDirectory,
    Optional<Witness> witness) {

  /**
   * A witness of the ledger's tree heads.
   *
   * @param url GRANTRY_LEDGER_WITNESS_URL: its C2SP tlog-witness submission prefix, an http(s) URL
   *     without a trailing slash; each new head is POSTed to {@code <url>/add-checkpoint}
   * @param key GRANTRY_LEDGER_WITNESS_KEY: its verifier key, a cosignature key (type 4, as {@code
   *     grantry witness} prints it), with which the cosignatures it returns are checked
   */
  public record Witness(URI url, NoteKey key) {}

  static LedgerSettings read(Settings s, String issuer) {
    Duration interval = s.millis("GRANTRY_CHECKPOINT_INTERVAL_MS", 60_000, 0, 86_400_000);
    String origin = s.text("GRANTRY_LEDGER_ORIGIN", defaultOrigin(issuer));
    try {
      new TreeHead(origin, 0, new byte[32]);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("GRANTRY_LEDGER_ORIGIN: " + e.getMessage());
    }
    Optional<Path> directory = s.text("GRANTRY_LEDGER_PUBLISH_DIR").map(Path::of);
    Optional<String> url = s.text("GRANTRY_LEDGER_WITNESS_URL");
    Optional<String> key = s.text("GRANTRY_LEDGER_WITNESS_KEY");
    if (url.isEmpty()) {
      if (key.isPresent()) {
        throw new ConfigException(
            "GRANTRY_LEDGER_WITNESS_KEY is set without GRANTRY_LEDGER_WITNESS_URL");
      }
      return new LedgerSettings(interval, origin, directory, Optional.empty());
    }
    return new LedgerSettings(
        interval, origin, directory, Optional.of(witness(url.get(), key.orElse(null))));
  }

  private static Witness witness(String url, String key) {
    URI uri;
    try {
      uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (URISyntaxException e) {
      throw new ConfigException("GRANTRY_LEDGER_WITNESS_URL is not a URL: '" + url + "'");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null
        || uri.getQuery() != null
        || uri.getFragment() != null) {
      throw new ConfigException(
          "GRANTRY_LEDGER_WITNESS_URL must be an http(s) URL with a host and no query or fragment");
    }
    if (key == null) {
      throw new ConfigException(
          "GRANTRY_LEDGER_WITNESS_KEY (the witness's verifier key) is required with"
              + " GRANTRY_LEDGER_WITNESS_URL");
    }
    NoteKey verifier;
    try {
      verifier = NoteKey.verifier(key);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("GRANTRY_LEDGER_WITNESS_KEY: " + e.getMessage());
    }
    if (verifier.type() != NoteKey.COSIGNATURE) {
      throw new ConfigException(
          "GRANTRY_LEDGER_WITNESS_KEY must be a cosignature key (type 4, as `grantry witness`"
              + " prints it)");
    }
    return new Witness(uri, verifier);
  }

  /** {@code https://auth.example.com/t1} gives {@code auth.example.com/t1/ledger}. */
  static String defaultOrigin(String issuer) {
    URI u = URI.create(issuer);
    String host = u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
    String path = u.getPath() == null ? "" : u.getPath();
    return host + (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + "/ledger";
  }
}
