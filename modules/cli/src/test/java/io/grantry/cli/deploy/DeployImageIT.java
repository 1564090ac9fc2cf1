package io.grantry.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The container image of ops/deploy, built from the jar this build packaged (an integration test:
 * it runs after {@code package}). What ops/README.md says was tested is what this does: the root
 * file system's contents, the server started from that root file system (read-only, as user 10001,
 * with the image's own Java and libraries, in a private mount namespace: containers cannot run in
 * this sandbox, chroot stands in), the image's health check, a podman build of the image where
 * podman is installed, and the compose file's references.
 */
class DeployImageIT {
  static Path repo;
  static Path context;
  static Path rootfs;

  @BeforeAll
  static void buildContext() throws Exception {
    repo = DeployFiles.repository();
    Path jar = repo.resolve("modules/cli/target/grantry.jar");
    assumeTrue(Files.exists(jar), "no " + jar + ": run after package (mvn verify)");
    context = repo.resolve("modules/cli/target/image-it");
    Run build =
        run(
            Map.of(),
            repo.resolve("ops/deploy/build-image.sh").toString(),
            "--jar",
            jar.toString(),
            "--out",
            context.toString(),
            "--no-podman");
    assertThat(build.code()).as(build.out()).isZero();
    rootfs = context.resolve("rootfs");
  }

  @Test
  void theRootFileSystemHoldsTheRuntimeTheJarAndAUserAndNothingToWriteTo() throws Exception {
    assertThat(rootfs.resolve("opt/grantry/runtime/bin/java")).isExecutable();
    assertThat(rootfs.resolve("opt/grantry/grantry.jar")).isRegularFile();
    assertThat(rootfs.resolve("opt/grantry/runtime/jmods")).doesNotExist();
    assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("grantry:x:10001:10001:");
    for (String shell : new String[] {"bin/sh", "bin/bash", "usr/bin/sh", "usr/bin/curl"}) {
      assertThat(rootfs.resolve(shell)).doesNotExist();
    }
    Run modules =
        run(Map.of(), rootfs.resolve("opt/grantry/runtime/bin/java").toString(), "--list-modules");
    assertThat(modules.out()).contains("jdk.crypto.ec").doesNotContain("jdk.compiler");
    // Nothing but /tmp may be written by anyone but its owner (root, in the image).
    try (Stream<Path> files = Files.walk(rootfs)) {
      List<Path> writable =
          files
              .filter(p -> !Files.isSymbolicLink(p))
              .filter(p -> !p.equals(rootfs.resolve("tmp")))
              .filter(
                  p -> {
                    try {
                      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                      return perms.contains(PosixFilePermission.GROUP_WRITE)
                          || perms.contains(PosixFilePermission.OTHERS_WRITE);
                    } catch (IOException e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .toList();
      assertThat(writable).isEmpty();
    }
  }

  @Test
  void theServerRunsFromTheReadOnlyImageAsItsUserAndItsHealthCheckSeesIt() throws Exception {
    assumeTrue(
        "0".equals(run(Map.of(), "id", "-u").out().strip())
            && Files.isExecutable(Path.of("/usr/bin/unshare"))
            && Files.isExecutable(Path.of("/usr/sbin/chroot")),
        "not root, or no unshare/chroot: the image was not run");
    Files.createDirectories(rootfs.resolve("proc"));
    Files.createDirectories(rootfs.resolve("dev"));
    Path mount = Files.createDirectories(context.resolve("mnt"));

    Run secrets =
        inImage(mount, Map.of(), "-jar", "/opt/grantry/grantry.jar", "secrets", "generate");
    assertThat(secrets.code()).as(secrets.out()).isZero();
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : secrets.out().strip().split("\n")) {
      if (line.startsWith("GRANTRY_")) {
        env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
      }
    }
    assertThat(env).containsKeys("GRANTRY_KEK", "GRANTRY_SECRET_PEPPER", "GRANTRY_ADMIN_TOKEN");

    TestDatabase db = TestDatabase.fresh();
    int port = freePort();
    env.put("GRANTRY_DB_URL", db.jdbcUrl().replaceFirst("^jdbc:", ""));
    env.put("GRANTRY_DB_USER", db.user());
    env.put("GRANTRY_DB_PASSWORD", db.password());
    env.put("GRANTRY_HTTP_HOST", "127.0.0.1");
    env.put("GRANTRY_HTTP_PORT", String.valueOf(port));
    env.put("GRANTRY_ISSUER", "http://127.0.0.1:" + port);
    Process server =
        inImageProcess(
            mount,
            env,
            "-XX:+UseParallelGC",
            "-Xmx192m",
            "-XX:-UsePerfData",
            "-jar",
            "/opt/grantry/grantry.jar",
            "serve");
    StringBuilder output = new StringBuilder();
    CompletableFuture<Boolean> serving = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  synchronized (output) {
                    output.append(line).append('\n');
                  }
                  if (line.startsWith("Grantry is serving")) {
                    serving.complete(true);
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              serving.complete(false);
            });
    reader.start();
    try {
      assertThat(serving.get(180, TimeUnit.SECONDS)).as(output::toString).isTrue();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> discovery =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/.well-known/openid-configuration"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(discovery.statusCode()).isEqualTo(200);
      JsonArray keys =
          new JsonObject(
                  http.send(
                          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jwks"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body())
              .getJsonArray("keys");
      assertThat(keys.stream().map(k -> ((JsonObject) k).getString("kty"))).contains("EC");

      Run healthy =
          inImage(mount, Map.of("GRANTRY_HTTP_PORT", String.valueOf(port)), healthCheck());
      assertThat(healthy.code()).as(healthy.out()).isZero();
    } finally {
      server.destroy(); // SIGTERM: the server stops cleanly
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as(output::toString).isTrue();
    }
    assertThat(server.exitValue()).as(output::toString).isIn(0, 143);
    Run stopped = inImage(mount, Map.of("GRANTRY_HTTP_PORT", String.valueOf(port)), healthCheck());
    assertThat(stopped.code()).isEqualTo(1);
    assertThat(stopped.out()).contains("not ready");
  }

  /**
   * The class-data-sharing archive build-image.sh made (as root: CI) is the one the entry point
   * names, and the image's java maps the jar's classes from it when started as the entry point
   * starts it: with -Xshare:on an archive made for another runtime, jar or path is an error.
   */
  @Test
  void theEntryPointMapsTheJarsClassesFromTheArchiveMadeForThisImage() throws Exception {
    assumeTrue(
        "0".equals(run(Map.of(), "id", "-u").out().strip())
            && Files.isExecutable(Path.of("/usr/bin/unshare"))
            && Files.isExecutable(Path.of("/usr/sbin/chroot")),
        "not root, or no unshare/chroot: no archive was made");
    assertThat(rootfs.resolve("opt/grantry/grantry.jsa")).isRegularFile();
    List<String> entry = entryPoint();
    assertThat(entry.get(0)).isEqualTo("/opt/grantry/runtime/bin/java");
    assertThat(entry).contains("-XX:SharedArchiveFile=/opt/grantry/grantry.jsa");
    List<String> args = new ArrayList<>(entry.subList(1, entry.size()));
    int jar = args.indexOf("-jar");
    args.addAll(jar, List.of("-Xshare:on", "-Xlog:class+load=info"));
    args.add("--help");
    Files.createDirectories(rootfs.resolve("proc"));
    Files.createDirectories(rootfs.resolve("dev"));
    Path mount = Files.createDirectories(context.resolve("mnt"));
    Run help = inImage(mount, Map.of(), args.toArray(String[]::new));
    assertThat(help.code()).as(help.out()).isZero();
    assertThat(help.out())
        .contains("io.grantry.cli.Grantry source: shared objects file")
        .contains("Usage:");
  }

  /** The Containerfile's ENTRYPOINT, as the exec form's list. */
  private static List<String> entryPoint() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^ENTRYPOINT (\\[.*\\])$")
            .matcher(Files.readString(context.resolve("Containerfile")));
    assertThat(m.find()).isTrue();
    return new JsonArray(m.group(1)).stream().map(String::valueOf).toList();
  }

  @Test
  void podmanBuildsTheImageWithItsUserEntryPointAndHealthCheck() throws Exception {
    assumeTrue(
        run(Map.of(), "sh", "-c", "command -v podman").code() == 0,
        "podman is not installed: the image was not built");
    String tag = "localhost/grantry-it:" + UUID.randomUUID().toString().substring(0, 8);
    Run build =
        run(
            Map.of(),
            "podman",
            "build",
            "--format",
            "docker",
            "--pull=never",
            "-t",
            tag,
            "-f",
            context.resolve("Containerfile").toString(),
            context.toString());
    try {
      assertThat(build.code()).as(build.out()).isZero();
      Run inspect = run(Map.of(), "podman", "image", "inspect", tag);
      assertThat(inspect.code()).as(inspect.out()).isZero();
      JsonObject image = new JsonArray(inspect.out()).getJsonObject(0);
      JsonObject config = image.getJsonObject("Config");
      assertThat(config.getString("User")).isEqualTo("10001:10001");
      assertThat(config.getJsonArray("Entrypoint").getString(0))
          .isEqualTo("/opt/grantry/runtime/bin/java");
      assertThat(config.getJsonArray("Entrypoint").getList())
          .contains("-XX:SharedArchiveFile=/opt/grantry/grantry.jsa");
      assertThat(config.getJsonObject("ExposedPorts").fieldNames()).contains("8080/tcp");
      assertThat(image.getJsonObject("Healthcheck").getJsonArray("Test").encode())
          .contains("io.grantry.cli.HealthProbe");
      Run mounted = run(Map.of(), "podman", "image", "mount", tag);
      assertThat(mounted.code()).as(mounted.out()).isZero();
      try {
        Path files = Path.of(mounted.out().strip());
        assertThat(files.resolve("opt/grantry/grantry.jar"))
            .hasSameBinaryContentAs(rootfs.resolve("opt/grantry/grantry.jar"));
        assertThat(files.resolve("opt/grantry/runtime/bin/java")).isExecutable();
        if (Files.exists(rootfs.resolve("opt/grantry/grantry.jsa"))) {
          assertThat(files.resolve("opt/grantry/grantry.jsa"))
              .hasSameBinaryContentAs(rootfs.resolve("opt/grantry/grantry.jsa"));
        }
        assertThat(files.resolve("lib64/ld-linux-x86-64.so.2")).exists();
        assertThat(files.resolve("bin/sh")).doesNotExist();
      } finally {
        run(Map.of(), "podman", "image", "unmount", tag);
      }
    } finally {
      run(Map.of(), "podman", "rmi", "-f", tag);
    }
  }

  @Test
  void theComposeFileMountsFilesThatExistAndOurRulesAndDashboard() throws Exception {
    Path deploy = repo.resolve("ops/deploy");
    String compose = Files.readString(deploy.resolve("compose.yaml"));
    Matcher mount = Pattern.compile("(?m)^\\s+- (\\.{1,2}/[^:]+):(/[^:]+)(:ro)?$").matcher(compose);
    List<String> mounted = new ArrayList<>();
    while (mount.find()) {
      assertThat(deploy.resolve(mount.group(1)).normalize()).as(mount.group()).exists();
      mounted.add(deploy.resolve(mount.group(1)).normalize().toString());
    }
    assertThat(mounted)
        .contains(
            repo.resolve("ops/prometheus/grantry-alerts.yml").toString(),
            repo.resolve("ops/grafana/grantry-dashboard.json").toString(),
            deploy.resolve("prometheus.yml").toString());
    // The rules are loaded where they are mounted; the job is named as the rules expect.
    String prometheus = Files.readString(deploy.resolve("prometheus.yml"));
    assertThat(compose).contains(":/etc/prometheus/rules/grantry-alerts.yml:ro");
    assertThat(prometheus)
        .contains("- /etc/prometheus/rules/grantry-alerts.yml")
        .contains("job_name: grantry");
    // The image the compose file runs is the one build-image.sh tags.
    assertThat(compose).contains("image: localhost/grantry:0.1.0").contains("read_only: true");
    assertThat(Files.readString(deploy.resolve("build-image.sh"))).contains("TAG=grantry:0.1.0");
  }

  private static String[] healthCheck() {
    return new String[] {
      "-XX:TieredStopAtLevel=1",
      "-XX:-UsePerfData",
      "-Xmx16m",
      "-cp",
      "/opt/grantry/grantry.jar",
      "io.grantry.cli.HealthProbe"
    };
  }

  /**
   * Runs the image's java with {@code args} as the image would: the root file system mounted
   * read-only at {@code mount}, with /proc, /dev and a tmpfs /tmp, as user 10001, in a mount
   * namespace of its own.
   */
  private static Process inImageProcess(Path mount, Map<String, String> env, String... args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                "set -e; R=$1; M=$2; shift 2;"
                    + " mount --bind \"$R\" \"$M\"; mount -o remount,bind,ro \"$M\";"
                    + " mount --rbind /proc \"$M/proc\"; mount --rbind /dev \"$M/dev\";"
                    + " mount -t tmpfs -o mode=1777 tmpfs \"$M/tmp\";"
                    + " exec chroot --userspec=10001:10001 \"$M\" /opt/grantry/runtime/bin/java \"$@\"",
                "sh",
                rootfs.toString(),
                mount.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_") || k.startsWith("JAVA"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static Run inImage(Path mount, Map<String, String> env, String... args) throws Exception {
    Process p = inImageProcess(mount, env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  record Run(int code, String out) {}

  private static Run run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
