package io.grantry.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The route label of the HTTP meters from the routes vertx-web reports, in their order. */
class RouteLabelTest {
  static String label(String... reported) {
    String label = null;
    for (String r : reported) {
      label = HttpServerMeters.routeLabel(label, r);
    }
    return label;
  }

  @Test
  void aRouteUnderAMountIsOnePath() {
    assertThat(label("/admin/", "/clients")).isEqualTo("/admin/clients");
    assertThat(label("/admin/", "/clients/:client_id")).isEqualTo("/admin/clients/:client_id");
  }

  @Test
  void theMountReportedAgainByItsFailureHandlerIsDropped() {
    assertThat(label("/admin/", "/clients", "/admin/")).isEqualTo("/admin/clients");
    assertThat(label("/admin/")).isEqualTo("/admin/");
  }

  @Test
  void aTopLevelRouteIsItselfAndNothingReportedIsNothing() {
    assertThat(label("/token")).isEqualTo("/token");
    assertThat(label("/token", "/token")).isEqualTo("/token");
    assertThat(label()).isNull();
    assertThat(label("", null)).isNull();
  }
}
