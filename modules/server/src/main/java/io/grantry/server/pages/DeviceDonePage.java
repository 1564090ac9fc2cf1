package io.grantry.server.pages;

/** After the answer: the device is connected (or not), and the person may go back to it. */
public record DeviceDonePage(boolean approved, String clientName) {}
