package io.grantry.server.pages;

import java.util.List;

/** What the consent page shows: who asks, for what, in plain words. */
public record ConsentPage(
    String clientName,
    String logoUri,
    String clientUri,
    String username,
    List<ScopeText> scopes,
    String csrf,
    String request) {

  public record ScopeText(Text title, Text description) {}
}
