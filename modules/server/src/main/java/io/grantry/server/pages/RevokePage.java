package io.grantry.server.pages;

/**
 * The confirmation asked before an app's access is taken back: which app, what it may do now, a
 * form that revokes (CSRF as every account form) and a way back that keeps the access.
 */
public record RevokePage(AppsPage.App app, String csrf) {}
