package io.grantry.server.pages;

import io.grantry.domain.oauth.Scopes;
import java.util.ArrayList;
import java.util.List;

/**
 * Scopes in plain words, in the order a person reads them, as the consent and account pages show
 * them.
 */
public final class ScopeTexts {
  /** Sign-in first, staying connected last, others after. */
  private static final List<String> READING_ORDER =
      List.of(Scopes.OPENID, Scopes.PROFILE, Scopes.EMAIL, Scopes.OFFLINE_ACCESS);

  private ScopeTexts() {}

  public static List<ConsentPage.ScopeText> inReadingOrder(Scopes scopes) {
    List<ConsentPage.ScopeText> out = new ArrayList<>();
    for (String known : READING_ORDER) {
      if (scopes.contains(known)) {
        out.add(describe(known));
      }
    }
    for (String scope : scopes) {
      if (!READING_ORDER.contains(scope)) {
        out.add(describe(scope));
      }
    }
    return out;
  }

  /** A scope in plain words (the bundles' {@code scope.*}). */
  public static ConsentPage.ScopeText describe(String scope) {
    return switch (scope) {
      case Scopes.OPENID ->
          new ConsentPage.ScopeText(
              Text.of("scope.openid.title"), Text.of("scope.openid.description"));
      case Scopes.PROFILE ->
          new ConsentPage.ScopeText(
              Text.of("scope.profile.title"), Text.of("scope.profile.description"));
      case Scopes.EMAIL ->
          new ConsentPage.ScopeText(
              Text.of("scope.email.title"), Text.of("scope.email.description"));
      case Scopes.OFFLINE_ACCESS ->
          new ConsentPage.ScopeText(
              Text.of("scope.offline_access.title"), Text.of("scope.offline_access.description"));
      default ->
          new ConsentPage.ScopeText(
              Text.of("scope.other.title", scope), Text.of("scope.other.description", scope));
    };
  }
}
