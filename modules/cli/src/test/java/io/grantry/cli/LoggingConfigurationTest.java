package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.grantry.server.config.LogSettings;
import io.grantry.server.logging.LogOutput;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The launcher's logging as configured by its logback.xml (not the tests' logback-test.xml): the
 * text format's lines start with the full ISO-8601 time and its zone, and GRANTRY_LOG_FORMAT=json
 * turns the same appender into one JSON object per line. Outside a request a line names none.
 */
class LoggingConfigurationTest {

  @Test
  void textLinesCarryTheFullTimeWithItsZoneAndJsonLinesAreObjects() throws Exception {
    // The appender takes System.err when it starts: capture it before the configuration.
    String[] lines =
        captureStderr(
                () -> {
                  LoggerContext context = new LoggerContext();
                  context.setMDCAdapter(new LogbackMDCAdapter()); // SLF4J sets the global one's
                  JoranConfigurator joran = new JoranConfigurator();
                  joran.setContext(context);
                  try {
                    joran.doConfigure(Path.of("src/main/resources/logback.xml").toUri().toURL());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  context.getLogger("io.grantry.Example").info("hello {}", 1);
                  LogOutput.apply(context, "INFO", new LogSettings("json", 0));
                  context.getLogger("io.grantry.Example").warn("careful");
                  context.stop();
                })
            .strip()
            .split("\n");
    assertThat(lines).hasSize(2);
    assertThat(lines[0])
        .matches(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) INFO  io\\.grantry\\.Example - hello 1");
    JsonObject line = new JsonObject(lines[1]);
    assertThat(line.getString("message")).isEqualTo("careful");
    assertThat(line.getString("level")).isEqualTo("WARN");
    assertThat(line.getString("@timestamp"))
        .matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})");
    assertThat(line.containsKey("request_id")).isFalse();
  }

  @Test
  void atTraceThePostgresqlDriverStillLogsNothingBelowInfo() throws Exception {
    // java.util.logging reaches this log (jul-to-slf4j): at FINEST the JDBC driver would write its
    // protocol, bind values included.
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    captureStderr(
        () -> {
          try {
            joran.doConfigure(Path.of("src/main/resources/logback.xml").toUri().toURL());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          LogOutput.apply(context, "TRACE", new LogSettings("text", 0));
        });
    assertThat(context.getLogger("io.grantry.Example").isTraceEnabled()).isTrue();
    assertThat(context.getLogger("org.postgresql.core.v3.QueryExecutorImpl").isDebugEnabled())
        .isFalse();
    assertThat(context.getLogger("org.postgresql.Driver").isInfoEnabled()).isTrue();
    context.stop();
  }

  private static synchronized String captureStderr(Runnable r) {
    PrintStream err = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
      r.run();
    } finally {
      System.setErr(err);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }
}
