package io.grantry.server.pages;

/**
 * The sign-out confirmation page (OpenID Connect RP-Initiated Logout 1.0 §2).
 *
 * @param clientName the application that asks, when the request identifies one; null otherwise
 * @param request the signed pending logout request
 */
public record LogoutPage(String clientName, String username, String csrf, String request) {}
