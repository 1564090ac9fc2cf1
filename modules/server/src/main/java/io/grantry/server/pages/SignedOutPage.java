package io.grantry.server.pages;

/** The page after signing out when no post-logout redirect URI may be followed. */
public record SignedOutPage() {}
