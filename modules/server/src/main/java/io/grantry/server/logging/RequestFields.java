package io.grantry.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import io.grantry.server.http.RequestLog;
import java.io.IOException;
import java.util.Map;
import net.logstash.logback.composite.AbstractJsonProvider;

/**
 * The request a log line is about ({@link RequestLog#fields()}: request_id, client_id, route) in
 * both log formats: {@link Text}, the {@code %request} conversion word of the text pattern, and
 * {@link Json}, a provider of the JSON encoder.
 */
public final class RequestFields {
  private RequestFields() {}

  /** {@code " [request_id=… client_id=… route=…]"}, or nothing outside a request. */
  public static final class Text extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      Map<String, String> fields = RequestLog.fields();
      if (fields.isEmpty()) {
        return "";
      }
      StringBuilder sb = new StringBuilder(" [");
      fields.forEach(
          (k, v) -> {
            if (sb.length() > 2) {
              sb.append(' ');
            }
            sb.append(k).append('=').append(v);
          });
      return sb.append(']').toString();
    }
  }

  /** The same fields as top-level keys of the JSON line. */
  public static final class Json extends AbstractJsonProvider<ILoggingEvent> {
    @Override
    public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
      for (Map.Entry<String, String> f : RequestLog.fields().entrySet()) {
        generator.writeStringField(f.getKey(), f.getValue());
      }
    }
  }
}
