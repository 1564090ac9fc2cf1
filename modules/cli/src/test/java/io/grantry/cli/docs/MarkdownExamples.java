package io.grantry.cli.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fenced code blocks of a Markdown document, and the commands of a shell block with the answer
 * each one is shown to give.
 *
 * <p>How a shell block is read (the documents follow it, and the runner relies on it):
 *
 * <ul>
 *   <li>A command is a line that is neither blank nor a comment, with the lines it continues onto:
 *       a line ending in {@code \}, {@code |}, {@code &&} or {@code ||} continues on the next, so
 *       does a quoted string still open at the end of a line, and a here-document ({@code <<'EOF'})
 *       runs to its terminator.
 *   <li>Comment lines directly under a command (no blank line between) are the answer it is shown
 *       to give; a comment that explains the next command stands after a blank line, or at the end
 *       of a command's line.
 * </ul>
 */
final class MarkdownExamples {
  private MarkdownExamples() {}

  /**
   * A fenced block.
   *
   * @param info the info string after the opening fence ({@code sh}, {@code json}, …)
   * @param line the line number of the first line inside the fence (1-based)
   * @param lines the lines inside the fence
   */
  record Block(int index, String info, int line, List<String> lines) {
    String text() {
      return String.join("\n", lines) + "\n";
    }

    String language() {
      String trimmed = info.strip();
      int space = trimmed.indexOf(' ');
      return space < 0 ? trimmed : trimmed.substring(0, space);
    }
  }

  /**
   * A command of a shell block.
   *
   * @param line the document's line number of its first line
   * @param lines the command, continuation lines included
   * @param expected the answer shown under it (the comment lines, without their {@code #}); empty
   *     when none is shown
   */
  record Step(int line, List<String> lines, List<String> expected) {
    String command() {
      return String.join("\n", lines);
    }

    /** The command on one line, shortened, for messages. */
    String summary() {
      String one =
          String.join(" ", lines.stream().map(l -> l.replaceAll("\\\\\\s*$", "")).toList())
              .replaceAll("\\s+", " ")
              .strip();
      return one.length() > 160 ? one.substring(0, 157) + "..." : one;
    }
  }

  private static final Pattern FENCE = Pattern.compile("^( *)```(.*)$");

  /**
   * Every fenced block of {@code markdown}, in order; a block indented in a list item loses its
   * fence's indentation.
   */
  static List<Block> blocks(String markdown) {
    List<Block> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    String info = null;
    int start = 0;
    int indent = 0;
    List<String> body = null;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (body == null) {
        Matcher m = FENCE.matcher(line);
        if (m.matches()) {
          indent = m.group(1).length();
          info = m.group(2).strip();
          start = i + 2;
          body = new ArrayList<>();
        }
      } else if (line.strip().equals("```")) {
        out.add(new Block(out.size() + 1, info, start, List.copyOf(body)));
        body = null;
      } else {
        int strip = 0;
        while (strip < indent && strip < line.length() && line.charAt(strip) == ' ') {
          strip++;
        }
        body.add(line.substring(strip));
      }
    }
    if (body != null) {
      throw new IllegalArgumentException(
          "a code block opened at line " + (start - 1) + " is never closed");
    }
    return out;
  }

  private static final Pattern HEREDOC =
      Pattern.compile("<<(-?)\\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\\2");

  /** The commands of a shell block and the answers shown under them. */
  static List<Step> steps(Block block) {
    List<Step> out = new ArrayList<>();
    List<String> lines = block.lines();
    int i = 0;
    boolean underCommand = false;
    List<String> expected = null;
    while (i < lines.size()) {
      String line = lines.get(i);
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        underCommand = false;
        i++;
        continue;
      }
      if (trimmed.startsWith("#")) {
        if (underCommand) {
          expected.add(trimmed.startsWith("# ") ? trimmed.substring(2) : trimmed.substring(1));
        }
        i++;
        continue;
      }
      int first = i;
      List<String> command = new ArrayList<>();
      while (true) {
        String current = lines.get(i);
        command.add(current);
        i++;
        Matcher heredoc = HEREDOC.matcher(withoutComment(current));
        if (heredoc.find()) {
          String terminator = heredoc.group(3);
          boolean indented = !heredoc.group(1).isEmpty();
          while (true) {
            if (i >= lines.size()) {
              throw new IllegalArgumentException(
                  "the here-document at line "
                      + (block.line() + first)
                      + " is never ended by "
                      + terminator);
            }
            String body = lines.get(i);
            command.add(body);
            i++;
            if ((indented ? body.strip() : body).equals(terminator)) {
              break;
            }
          }
        }
        if (!(continues(current) || openQuote(command)) || i >= lines.size()) {
          break;
        }
      }
      expected = new ArrayList<>();
      out.add(new Step(block.line() + first, List.copyOf(command), expected));
      underCommand = true;
    }
    return out.stream().map(s -> new Step(s.line(), s.lines(), List.copyOf(s.expected()))).toList();
  }

  /** Whether the lines end inside a quoted string (which the next line goes on with). */
  static boolean openQuote(List<String> lines) {
    boolean single = false;
    boolean dbl = false;
    for (String line : lines) {
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '\\' && !single) {
          i++;
        } else if (c == '\'' && !dbl) {
          single = !single;
        } else if (c == '"' && !single) {
          dbl = !dbl;
        } else if (c == '#'
            && !single
            && !dbl
            && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
          break;
        }
      }
    }
    return single || dbl;
  }

  /** Whether a command line goes on in the next line. */
  static boolean continues(String line) {
    String code = withoutComment(line).stripTrailing();
    return code.endsWith("\\") || code.endsWith("|") || code.endsWith("&&");
  }

  /**
   * The line without a trailing comment ({@code # ...} after whitespace, outside quotes); good
   * enough for the documents' commands.
   */
  static String withoutComment(String line) {
    boolean single = false;
    boolean dbl = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && !single) {
        i++;
      } else if (c == '\'' && !dbl) {
        single = !single;
      } else if (c == '"' && !single) {
        dbl = !dbl;
      } else if (c == '#'
          && !single
          && !dbl
          && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
