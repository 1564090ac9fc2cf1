package io.grantry.server.admin;

import io.grantry.server.clients.ClientService;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Entity tags of clients (RFC 9110 §8.8.3) and the If-Match precondition on changing one (§13.1.1).
 * A client's tag is strong and names the version of its stream, so it changes with every event (an
 * update, a rotation, a disable); it also carries a digest of the client id, so that the tag of one
 * client never matches another's. If-Match is optional: without it a change applies to the client
 * as it is then (a merge patch is merged into that).
 */
final class ClientTags {
  private ClientTags() {}

  /** The {@code ETag} of client {@code clientId} at stream version {@code version}. */
  static String of(String clientId, long version) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(clientId.getBytes(StandardCharsets.UTF_8));
      return "\"" + version + "-" + HexFormat.of().formatHex(digest, 0, 6) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }

  /**
   * The versions of client {@code clientId} the request's If-Match accepts: any without the header
   * or with {@code *} (a client that does not exist is a 404 before this is asked), else those
   * whose tag it lists. A weak tag ({@code W/"..."}) never matches: If-Match compares strongly.
   */
  static LongPredicate ifMatch(RoutingContext ctx, String clientId) {
    List<String> headers = ctx.request().headers().getAll("If-Match");
    if (headers.isEmpty()) {
      return ClientService.ANY_VERSION;
    }
    Set<String> tags = new HashSet<>();
    for (String header : headers) {
      for (String tag : header.split(",")) {
        String t = tag.strip();
        if (t.equals("*")) {
          return ClientService.ANY_VERSION;
        }
        tags.add(t);
      }
    }
    return version -> tags.contains(of(clientId, version));
  }
}
