package io.grantry.server.pages;

import java.time.Instant;
import java.util.List;

/**
 * The "Apps with access" page: each client the signed-in user allowed, what it may do, since when,
 * and a form to take the access back.
 *
 * @param notice a confirmation to show at the top, or null
 */
public record AppsPage(
    String username, List<App> apps, List<Session> sessions, String csrf, Text notice) {

  /**
   * A live browser session of the user.
   *
   * @param current whether it is the one this page was opened in
   * @param address and {@code userAgent}: where the sign-in came from, as the server saw it (the
   *     address null when it is not known)
   */
  public record Session(
      String sessionId, boolean current, Instant signedInAt, String address, Text userAgent) {}

  /** An app the user allowed, since {@code grantedAt}. */
  public record App(
      String clientId,
      String clientName,
      String logoUri,
      List<ConsentPage.ScopeText> scopes,
      Instant grantedAt) {}
}
