package io.grantry.server.pages;

/**
 * A readable error page for what must not be redirected (unknown client, unregistered redirect URI,
 * CSRF).
 */
public record ErrorPage(String title, String message, String code) {}
