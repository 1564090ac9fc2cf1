package io.grantry.server.admin;

import io.grantry.domain.DomainError.ValidationError;
import io.grantry.server.app.CommandRejected;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Keyset pagination: a page is {@code limit} rows after a key, and {@code next_cursor} is the last
 * row's key, base64url-encoded so that it is opaque and URL-safe. Stable under concurrent inserts
 * (no row is skipped or repeated, unlike offsets), and each page is one index range scan.
 *
 * @param after the key to start after, empty for the first page
 * @param limit the page size
 */
record Page(Optional<String> after, int limit) {
  static final int DEFAULT_LIMIT = 50;

  static Page of(RoutingContext ctx) {
    int limit =
        AdminRequest.query(ctx, "limit").map(RequestParameter::getInteger).orElse(DEFAULT_LIMIT);
    Optional<String> after = AdminRequest.query(ctx, "cursor").map(c -> decode(c.getString()));
    return new Page(after, limit);
  }

  /** How many rows to fetch: one more than the page, to know whether another page follows. */
  int fetch() {
    return limit + 1;
  }

  /** The response for {@code rows} (as fetched with {@link #fetch()}). */
  <T> JsonObject render(List<T> rows, Function<T, JsonObject> json, Function<T, String> key) {
    JsonArray items = new JsonArray();
    List<T> shown = rows.size() > limit ? rows.subList(0, limit) : rows;
    shown.forEach(r -> items.add(json.apply(r)));
    String next = rows.size() > limit ? encode(key.apply(shown.get(shown.size() - 1))) : null;
    return new JsonObject().put("items", items).put("next_cursor", next);
  }

  static String encode(String key) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  static String decode(String cursor) {
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(cursor);
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      throw new CommandRejected(
          new ValidationError("cursor", "cursor is not one this server issued; start without it"));
    }
  }
}
