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

  /** A scope in plain words. */
  public static ConsentPage.ScopeText describe(String scope) {
    return switch (scope) {
      case Scopes.OPENID ->
          new ConsentPage.ScopeText(
              "Sign you in", "Know who you are on this server (your user id).");
      case Scopes.PROFILE ->
          new ConsentPage.ScopeText("See your profile", "Your name and username.");
      case Scopes.EMAIL ->
          new ConsentPage.ScopeText("See your email address", "The email address of your account.");
      case Scopes.OFFLINE_ACCESS ->
          new ConsentPage.ScopeText(
              "Stay connected", "Keep access while you are away, until you revoke it.");
      default ->
          new ConsentPage.ScopeText(
              "Use “" + scope + "”", "Access granted under the scope " + scope + ".");
    };
  }
}
