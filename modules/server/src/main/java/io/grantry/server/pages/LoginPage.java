package io.grantry.server.pages;

/**
 * What the sign-in page shows; every field is escaped by the template engine.
 *
 * @param action where the form posts: {@code /login} on the way through /authorize, {@code
 *     /account/login} for the account pages
 * @param request the signed pending authorization request; null when there is none
 */
public record LoginPage(
    String clientName,
    String logoUri,
    String username,
    String error,
    String csrf,
    String request,
    String action) {

  /** The sign-in page of an authorization request. */
  public LoginPage(
      String clientName,
      String logoUri,
      String username,
      String error,
      String csrf,
      String request) {
    this(clientName, logoUri, username, error, csrf, request, "/login");
  }
}
