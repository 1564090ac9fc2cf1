package io.grantry.server.pages;

import java.util.List;

/**
 * The "Apps with access" page: each client the signed-in user allowed, what it may do, since when,
 * and a form to take the access back.
 *
 * @param notice a confirmation to show at the top, or null
 */
public record AppsPage(
    String username, List<App> apps, List<Session> sessions, String csrf, String notice) {

  /**
   * A live browser session of the user.
   *
   * @param current whether it is the one this page was opened in
   * @param address and {@code userAgent}: where the sign-in came from, as the server saw it
   */
  public record Session(
      String sessionId,
      boolean current,
      String signedInAt,
      String signedInAtIso,
      String address,
      String userAgent) {}

  /**
   * @param grantedAt for people, e.g. "3 March 2025, 14:05 UTC"
   * @param grantedAtIso the same instant in ISO 8601, for the {@code <time>} element
   */
  public record App(
      String clientId,
      String clientName,
      String logoUri,
      List<ConsentPage.ScopeText> scopes,
      String grantedAt,
      String grantedAtIso) {}
}
