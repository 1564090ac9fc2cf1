package io.grantry.server.pages;

/** What the sign-in page shows; every field is escaped by the template engine. */
public record LoginPage(String clientName, String logoUri, String username, String error, String csrf, String request) {}
