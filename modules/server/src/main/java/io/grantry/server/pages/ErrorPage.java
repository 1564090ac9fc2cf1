package io.grantry.server.pages;

/**
 * A readable error page for what must not be redirected (unknown client, unregistered redirect URI,
 * CSRF) and for an address with nothing behind it.
 *
 * @param title and {@code message}: put into words in the page's language
 * @param requestId the id this request carries in the logs and the X-Request-Id header, for the
 *     person to quote; null when there is none
 */
public record ErrorPage(Text title, Text message, String code, String requestId) {}
