package io.grantry.server.tracing;

import io.vertx.core.spi.tracing.TagExtractor;
import java.util.Set;

/**
 * The tags Vert.x reports of a request, response or statement, less every one that may carry a
 * secret: an allowlist, so that a tag a later Vert.x adds stays out until someone has looked at it.
 *
 * <p>Left out: {@code http.url} and {@code url.full} (whole URLs with their query: an authorization
 * response's {@code code}, a {@code login_hint}), {@code url.query}, and {@code url.path} (raw
 * paths with ids; {@link RequestTracer} names the route template instead, as {@code http.route}).
 * Vert.x reports no header, so no {@code Authorization} or cookie, and a statement's text without
 * its parameters ({@code $1}), so no token hash or event payload.
 */
final class SafeTags<T> implements TagExtractor<T> {
  static final Set<String> ALLOWED =
      Set.of(
          "http.request.method",
          "http.response.status_code",
          "url.scheme",
          "span.kind",
          "db.system",
          "db.namespace",
          "db.user",
          "db.query.text",
          "network.peer.address");

  private final TagExtractor<T> all;

  private SafeTags(TagExtractor<T> all) {
    this.all = all;
  }

  static <T> TagExtractor<T> of(TagExtractor<T> all) {
    return all == null ? null : new SafeTags<>(all);
  }

  @Override
  public int len(T obj) {
    int n = 0;
    int len = all.len(obj);
    for (int i = 0; i < len; i++) {
      if (ALLOWED.contains(all.name(obj, i))) {
        n++;
      }
    }
    return n;
  }

  @Override
  public String name(T obj, int index) {
    return all.name(obj, allowed(obj, index));
  }

  @Override
  public String value(T obj, int index) {
    return all.value(obj, allowed(obj, index));
  }

  /** The index among all tags of the {@code index}-th allowed one. */
  private int allowed(T obj, int index) {
    int len = all.len(obj);
    int seen = -1;
    for (int i = 0; i < len; i++) {
      if (ALLOWED.contains(all.name(obj, i)) && ++seen == index) {
        return i;
      }
    }
    throw new IndexOutOfBoundsException(index);
  }
}
