package io.grantry.server.pages;

/**
 * Development mode's callback page ({@code /dev/callback}): the authorization response the demo
 * client received, and what the token endpoint answered when this page redeemed the code.
 *
 * @param code the code, or null when the response carried an error
 * @param state the state the response carried
 * @param error the response's error and its description, or null
 * @param tokens the token endpoint's answer, pretty JSON, or null when the page did not redeem
 * @param idTokenClaims the ID token's claims, pretty JSON, or null
 * @param redeemCommand how to redeem the code by hand, when the page could not (a flow it did not
 *     start: it does not know the PKCE verifier), else null
 */
public record DevCallbackPage(
    String code,
    String state,
    Text error,
    String tokens,
    String idTokenClaims,
    String redeemCommand) {}
