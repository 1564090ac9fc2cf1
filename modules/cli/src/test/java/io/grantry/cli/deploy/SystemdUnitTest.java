package io.grantry.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ops/deploy/grantry.service passes {@code systemd-analyze verify} (no warning either: an unknown
 * or misspelt key is only a warning there) and {@code systemd-analyze security --offline} rates its
 * exposure at most 2.0. Both run on a scratch root holding the unit, this machine's system units
 * (the targets it orders itself after) and a stand-in for the program it starts, which verify
 * requires to exist. Skipped where systemd-analyze is not installed.
 */
class SystemdUnitTest {
  @TempDir Path root;

  @Test
  void theUnitVerifiesCleanlyAndIsSandboxed() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")),
        "systemd-analyze is not installed: the unit was not checked");
    Path unit = DeployFiles.repository().resolve("ops/deploy/grantry.service");
    String text = Files.readString(unit);
    Path units = root.resolve("etc/systemd/system");
    Files.createDirectories(units);
    Files.copy(unit, units.resolve("grantry.service"));
    copyTree(Path.of("/usr/lib/systemd/system"), root.resolve("usr/lib/systemd/system"));
    Matcher exec = Pattern.compile("(?m)^ExecStart=(\\S+)").matcher(text);
    assertThat(exec.find()).isTrue();
    Path program = root.resolve(exec.group(1).substring(1));
    Files.createDirectories(program.getParent());
    Files.writeString(program, "#!/bin/sh\n");
    program.toFile().setExecutable(true);

    Result verify = run("systemd-analyze", "verify", "--root=" + root, "grantry.service");
    assertThat(verify.code()).as(verify.output()).isZero();
    assertThat(verify.output()).as("warnings of systemd-analyze verify").isBlank();

    Result security =
        run(
            "systemd-analyze",
            "security",
            "--offline=true",
            "--threshold=20",
            "--no-pager",
            "--root=" + root,
            "grantry.service");
    assertThat(security.code()).as(security.output()).isZero();
    Matcher level =
        Pattern.compile("Overall exposure level for \\S+: ([0-9.]+)").matcher(security.output());
    assertThat(level.find()).as(security.output()).isTrue();
    assertThat(Double.parseDouble(level.group(1))).isLessThanOrEqualTo(2.0);

    // The test can fail: a misspelt key is reported.
    Files.writeString(
        units.resolve("grantry.service"), text.replace("PrivateTmp=yes", "PrivateTemp=yes"));
    assertThat(run("systemd-analyze", "verify", "--root=" + root, "grantry.service").output())
        .contains("Unknown key 'PrivateTemp'");
  }

  record Result(int code, String output) {}

  static Result run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
        } else if (Files.isSymbolicLink(p)) {
          Files.copy(p, target, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
