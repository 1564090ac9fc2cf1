package io.grantry.cli.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of the code, as tests (modules/README.md draws them). Run from the cli module, whose
 * class path holds every module's main classes.
 */
class ArchitectureTest {
  static JavaClasses grantry;

  @BeforeAll
  static void read() {
    grantry =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // In a reactor build past 'package' the server's test classes come as a -tests.jar,
            // which DO_NOT_INCLUDE_TESTS (a test-classes directory pattern) lets through.
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("io.grantry");
  }

  /** No package of any module depends, through any chain, on a package that depends back on it. */
  @Test
  void noPackageCycles() {
    slices().matching("io.grantry.(**)").should().beFreeOfCycles().check(grantry);
  }

  /**
   * The modules: domain ← eventstore ← projections ← server ← rebuild ← cli, each using only those
   * below; resource (the resource-server kit) stands beside them, used by the cli (the example API)
   * and by the server for one shared scheme, its DPoP nonces ({@code DpopNonces}).
   */
  @Test
  void modulesDependDownwardsOnly() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("cli")
        .definedBy("io.grantry.cli..")
        .layer("resource")
        .definedBy("io.grantry.resource..")
        .layer("rebuild")
        .definedBy("io.grantry.rebuild..")
        .layer("server")
        .definedBy("io.grantry.server..")
        .layer("projections")
        .definedBy("io.grantry.projections..")
        .layer("eventstore")
        .definedBy("io.grantry.eventstore..")
        .layer("domain")
        .definedBy("io.grantry.domain..")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("resource")
        .mayOnlyBeAccessedByLayers("cli", "server")
        .whereLayer("rebuild")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("server")
        .mayOnlyBeAccessedByLayers("cli", "rebuild")
        .whereLayer("projections")
        .mayOnlyBeAccessedByLayers("cli", "rebuild", "server")
        .whereLayer("eventstore")
        .mayOnlyBeAccessedByLayers("cli", "rebuild", "server", "projections")
        .check(grantry);
  }

  /**
   * The resource-server kit (modules/resource) is a library for other people's APIs: it uses
   * nothing of Grantry's own, so it ships without the server and judges our tokens as any resource
   * server would, from what the issuer publishes.
   */
  @Test
  void theResourceKitStandsAlone() {
    classes()
        .that()
        .resideInAPackage("io.grantry.resource..")
        .should()
        .onlyDependOnClassesThat(
            resideOutsideOfPackage("io.grantry..").or(resideInAPackage("io.grantry.resource..")))
        .check(grantry);
  }

  /**
   * The server module: the composition root builds everything and hands each route group the
   * services it uses; route groups parse, ask the domain and render; application services run
   * commands through the ledger; stores and projections below them; shared support (HTTP edge,
   * cookies, pages, throttles, cryptography) and configuration at the bottom.
   */
  @Test
  void theServerIsLayered() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("composition")
        .definedBy("io.grantry.server")
        .layer("routes")
        .definedBy(
            "io.grantry.server.account..",
            "io.grantry.server.authorize..",
            "io.grantry.server.logout..",
            "io.grantry.server.device..",
            "io.grantry.server.token..",
            "io.grantry.server.admin..",
            "io.grantry.server.discovery..",
            "io.grantry.server.health..",
            "io.grantry.server.dev..")
        .layer("oauth")
        .definedBy("io.grantry.server.oauth..")
        .layer("services")
        .definedBy(
            "io.grantry.server.sessions..",
            "io.grantry.server.backchannel..",
            "io.grantry.server.devicecodes..",
            "io.grantry.server.clients..",
            "io.grantry.server.users..",
            "io.grantry.server.consents..",
            "io.grantry.server.grants..",
            "io.grantry.server.keys..",
            "io.grantry.server.tokens..",
            "io.grantry.server.audit..",
            "io.grantry.server.ops..")
        .layer("stores")
        .definedBy("io.grantry.server.app..", "io.grantry.server.tokenstate..")
        .layer("support")
        .definedBy(
            "io.grantry.server.http..",
            "io.grantry.server.browser..",
            "io.grantry.server.pages..",
            "io.grantry.server.throttle..",
            "io.grantry.server.crypto..")
        .layer("config")
        .definedBy("io.grantry.server.config..")
        .whereLayer("composition")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("routes")
        .mayOnlyBeAccessedByLayers("composition")
        .whereLayer("oauth")
        .mayOnlyBeAccessedByLayers("composition", "routes")
        .whereLayer("services")
        .mayOnlyBeAccessedByLayers("composition", "routes", "oauth")
        .whereLayer("stores")
        .mayOnlyBeAccessedByLayers("composition", "routes", "oauth", "services")
        .whereLayer("support")
        .mayOnlyBeAccessedByLayers("composition", "routes", "oauth", "services", "stores")
        .check(grantry);
  }
}
