package io.grantry.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.grantry.server.config.LogSettings;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.TimeZone;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Applies GRANTRY_LOG_LEVEL and GRANTRY_LOG_FORMAT to the launcher's logging, configured first by
 * its logback.xml (the text format): for {@code json}, every appender of the root logger gets the
 * JSON encoder instead of its pattern. Settings read from a configuration file take effect here,
 * after the file is read; the lines logged before (none in a normal start) are text. What libraries
 * log through java.util.logging (the PostgreSQL JDBC driver of the migrations, say: a host name its
 * TLS check refuses is a SEVERE record) goes the same way, instead of the JDK's own two-line format
 * on standard error.
 */
public final class LogOutput {
  private LogOutput() {}

  public static void apply(String level, LogSettings settings) {
    routeJavaUtilLogging();
    apply((LoggerContext) LoggerFactory.getILoggerFactory(), level, settings);
  }

  /**
   * Sends java.util.logging's records to this logging instead of its console handler (its levels
   * follow logback's: the LevelChangePropagator of logback.xml).
   */
  public static synchronized void routeJavaUtilLogging() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /** The same on {@code context} (tests configure one of their own). */
  public static void apply(LoggerContext context, String level, LogSettings settings) {
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level));
    if (!settings.json()) {
      return;
    }
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out) {
        Encoder<ILoggingEvent> json = jsonEncoder(root.getLoggerContext());
        out.stop();
        out.setEncoder(json);
        out.start();
      }
    }
  }

  /**
   * One JSON object per line: {@code @timestamp} (ISO-8601 with the offset), {@code level}, {@code
   * logger_name}, {@code thread_name}, {@code message}, {@code stack_trace} when there is one, and
   * the request's {@code request_id}, {@code client_id} and {@code route} ({@link RequestFields}).
   */
  public static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    encoder.setTimeZone(TimeZone.getDefault().getID());
    // Milliseconds, as the text format (the default is nanoseconds).
    encoder.setTimestampPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    encoder.addProvider(new RequestFields.Json());
    encoder.start();
    return encoder;
  }

  /** An appender of {@code encoder}'s lines to {@code out} (tests read what a server logs). */
  public static OutputStreamAppender<ILoggingEvent> appender(
      Encoder<ILoggingEvent> encoder, OutputStream out) {
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(encoder.getContext());
    appender.setEncoder(encoder);
    appender.setOutputStream(out);
    appender.setImmediateFlush(true);
    appender.start();
    return appender;
  }
}
