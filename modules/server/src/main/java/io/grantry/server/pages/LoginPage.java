package io.grantry.server.pages;

/**
 * What the sign-in page shows; every field is escaped by the template engine.
 *
 * @param clientName the application to continue to; null on the account pages' sign-in
 * @param error what was wrong with the last attempt, or null
 * @param action where the form posts: {@code /login} on the way through /authorize, {@code
 *     /account/login} for the account pages
 * @param request the signed pending authorization request; null when there is none
 * @param next the local page to return to after {@code /account/login} (e.g. the device
 *     verification page); null for the account pages
 */
public record LoginPage(
    String clientName,
    String logoUri,
    String username,
    Text error,
    String csrf,
    String request,
    String action,
    String next) {

  /** A sign-in page with no page to return to. */
  public LoginPage(
      String clientName,
      String logoUri,
      String username,
      Text error,
      String csrf,
      String request,
      String action) {
    this(clientName, logoUri, username, error, csrf, request, action, null);
  }

  /** The sign-in page of an authorization request. */
  public LoginPage(
      String clientName, String logoUri, String username, Text error, String csrf, String request) {
    this(clientName, logoUri, username, error, csrf, request, "/login");
  }
}
