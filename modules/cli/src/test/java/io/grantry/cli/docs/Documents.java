package io.grantry.cli.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The repository's documents whose examples are checked, and where they are. */
final class Documents {
  private Documents() {}

  /** The repository root: the first directory up from here holding ops/, modules/ and pom.xml. */
  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null
        && !(Files.isDirectory(p.resolve("ops"))
            && Files.isDirectory(p.resolve("modules"))
            && Files.isRegularFile(p.resolve("pom.xml")))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "not inside the repository (no ops/, modules/, pom.xml above)");
    }
    return p;
  }

  /**
   * README.md first (its first flow is where a newcomer starts), then modules/README.md, then every
   * ops/*.md by name: paths relative to the root.
   */
  static List<String> all() {
    Path root = root();
    List<String> out = new ArrayList<>(List.of("README.md", "modules/README.md"));
    try (Stream<Path> ops = Files.list(root.resolve("ops"))) {
      ops.filter(p -> p.getFileName().toString().endsWith(".md"))
          .map(p -> "ops/" + p.getFileName())
          .sorted()
          .forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static String read(String relative) {
    try {
      return Files.readString(root().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the file mentions {@code member} as a method, field or constant. */
  static boolean declares(Path file, String member) {
    try {
      return Pattern.compile("\\b" + Pattern.quote(member) + "\\b\\s*[(=;,)]")
          .matcher(Files.readString(file))
          .find();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every .java file under main and test sources, by simple class name. */
  static Map<String, List<Path>> javaSources() {
    Path modules = root().resolve("modules");
    Map<String, List<Path>> out = new HashMap<>();
    try (Stream<Path> files = Files.walk(modules)) {
      files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/"))
          .forEach(
              p -> {
                String name = p.getFileName().toString();
                out.computeIfAbsent(name.substring(0, name.length() - 5), k -> new ArrayList<>())
                    .add(p);
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
