package io.grantry.server.pages;

import java.util.List;

/**
 * The device's consent page: which application the code connects, what it may do, and the code
 * itself to compare with the device's screen (RFC 8628 §5.4).
 *
 * @param userCode the code as shown on devices ({@code BCDF-GHJK})
 */
public record DeviceConsentPage(
    String clientName,
    String logoUri,
    String clientUri,
    String username,
    List<ConsentPage.ScopeText> scopes,
    String userCode,
    String csrf) {}
