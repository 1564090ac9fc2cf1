package io.grantry.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.cli.Grantry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The classes, methods and tests modules/README.md names (in backquotes: {@code ClassName} or
 * {@code ClassName.member}) exist in the source: a rule's row in "Where each OAuth rule lives" that
 * names a renamed or deleted method or test fails here, naming it.
 */
class DocumentationReferenceTest {
  /** A class name (a capital, then at least one lower-case letter), with an optional member. */
  private static final Pattern REFERENCE =
      Pattern.compile("`([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)(?:\\.([A-Za-z_][A-Za-z0-9_]*))?`");

  @Test
  void everyClassMethodAndTestModulesReadmeNamesExists() {
    Map<String, List<Path>> sources = Documents.javaSources();
    String doc = Documents.read("modules/README.md");
    Set<String> missing = new LinkedHashSet<>();
    int checked = 0;
    Matcher m = REFERENCE.matcher(doc);
    while (m.find()) {
      String type = m.group(1);
      String member = m.group(2);
      checked++;
      List<Path> files = sources.getOrDefault(type, List.of());
      if (files.isEmpty()) {
        missing.add(m.group() + " (no " + type + ".java)");
      } else if (member != null && files.stream().noneMatch(f -> Documents.declares(f, member))) {
        missing.add(m.group() + " (" + type + ".java has no " + member + ")");
      }
    }
    assertThat(checked).as("references in modules/README.md").isGreaterThan(100);
    assertThat(missing).as("named in modules/README.md but not in the source").isEmpty();
  }

  private static final Pattern YAML_PATH = Pattern.compile("^  (/\\S*):\\s*$");
  private static final Pattern YAML_METHOD =
      Pattern.compile("^    (get|put|post|delete|patch):\\s*$");

  /**
   * Every operation of the admin API's contract (openapi/admin.yaml) is in ops/endpoints.md's
   * table, as {@code METHOD /admin/path}.
   */
  @Test
  void everyOperationOfTheAdminContractIsInTheEndpointsReference() throws IOException {
    List<String> contract =
        Files.readAllLines(
            Documents.root().resolve("modules/server/src/main/resources/openapi/admin.yaml"));
    String doc = Documents.read("ops/endpoints.md");
    List<String> operations = new ArrayList<>();
    String path = null;
    for (String line : contract) {
      Matcher p = YAML_PATH.matcher(line);
      Matcher m = YAML_METHOD.matcher(line);
      if (p.matches()) {
        path = p.group(1);
      } else if (path != null && m.matches()) {
        operations.add(m.group(1).toUpperCase(Locale.ROOT) + " /admin" + path);
      } else if (!line.isEmpty() && !line.startsWith(" ")) {
        path = null;
      }
    }
    assertThat(operations).as("operations of admin.yaml").hasSizeGreaterThan(20);
    List<String> missing =
        operations.stream()
            .filter(
                op ->
                    !Pattern.compile("`" + Pattern.quote(op) + "(\\?[^`]*)?`").matcher(doc).find())
            .toList();
    assertThat(missing).as("operations of admin.yaml missing from ops/endpoints.md").isEmpty();
  }

  private static final Pattern SETTING = Pattern.compile("GRANTRY_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])");

  /**
   * ops/configuration.md names every GRANTRY_* setting the main code of any module names (the typed
   * settings records, whose Javadoc gives each one's default and range, the loader, the CLI), and
   * none that no code reads.
   */
  @Test
  void theConfigurationReferenceNamesEverySettingAndNoOther() throws IOException {
    Set<String> code = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Documents.root().resolve("modules"))) {
      for (Path f :
          files
              .filter(p -> p.toString().contains("/src/main/"))
              .filter(p -> p.toString().matches(".*\\.(java|yaml|xml|properties|jte|json)$"))
              .toList()) {
        code.addAll(settings(Files.readString(f)));
      }
    }
    Set<String> documented = settings(Documents.read("ops/configuration.md"));
    assertThat(code).as("settings the code reads").hasSizeGreaterThan(40);
    Set<String> undocumented = new TreeSet<>(code);
    undocumented.removeAll(documented);
    Set<String> invented = new TreeSet<>(documented);
    invented.removeAll(code);
    assertThat(undocumented).as("settings missing from ops/configuration.md").isEmpty();
    assertThat(invented).as("settings of ops/configuration.md that no code reads").isEmpty();
  }

  private static Set<String> settings(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = SETTING.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /**
   * Every {@code grantry} command has a section of ops/cli.md headed by its full name ({@code
   * grantry clients create}), which names each of its options.
   */
  @Test
  void everyCommandAndOptionIsInTheCliReference() {
    Map<String, String> sections = sections(Documents.read("ops/cli.md"));
    List<String> missing = new ArrayList<>();
    List<CommandLine> leaves = new ArrayList<>();
    collectLeaves(new CommandLine(new Grantry()), leaves);
    assertThat(leaves).as("grantry's commands").hasSizeGreaterThan(20);
    for (CommandLine c : leaves) {
      String name = c.getCommandSpec().qualifiedName(" ");
      String section = sections.get(name);
      if (section == null) {
        missing.add("a section headed `" + name + "`");
        continue;
      }
      for (OptionSpec o : c.getCommandSpec().options()) {
        if (o.usageHelp() || o.versionHelp()) {
          continue;
        }
        if (!section.contains(o.longestName())) {
          missing.add(name + " " + o.longestName());
        }
      }
    }
    assertThat(missing).as("commands and options missing from ops/cli.md").isEmpty();
  }

  private static void collectLeaves(CommandLine c, List<CommandLine> into) {
    var subs =
        c.getSubcommands().values().stream()
            .filter(s -> !(s.getCommand() instanceof CommandLine.HelpCommand))
            .distinct()
            .toList();
    if (subs.isEmpty()) {
      into.add(c);
    } else {
      subs.forEach(s -> collectLeaves(s, into));
    }
  }

  private static final Pattern COMMAND_HEADING = Pattern.compile("^#+ `(grantry[a-z -]*)`");

  /** The text under each heading that is a command's name in backquotes, up to the next heading. */
  private static Map<String, String> sections(String markdown) {
    Map<String, String> out = new HashMap<>();
    String current = null;
    StringBuilder text = new StringBuilder();
    boolean fenced = false;
    for (String line : (markdown + "\n# end").split("\n")) {
      if (line.strip().startsWith("```")) {
        fenced = !fenced;
      }
      if (!fenced && line.startsWith("#")) {
        if (current != null) {
          out.put(current, text.toString());
        }
        Matcher m = COMMAND_HEADING.matcher(line);
        current = m.find() ? m.group(1) : null;
        text.setLength(0);
      }
      text.append(line).append('\n');
    }
    return out;
  }
}
