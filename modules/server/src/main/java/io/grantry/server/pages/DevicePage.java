package io.grantry.server.pages;

/**
 * The device verification page's code entry (RFC 8628 §3.3): a signed-in person types the code
 * their device shows.
 *
 * @param userCode the code to prefill (from {@code verification_uri_complete}), or empty
 * @param error what was wrong with the last entry, or null
 */
public record DevicePage(String username, String userCode, Text error, String csrf) {}
