package io.grantry.server.tracing;

import io.grantry.server.config.TracingSettings;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing of the server (GRANTRY_OTEL_ENDPOINT, {@link TracingSettings}), on
 * vertx-opentelemetry: a span per HTTP request (Vert.x's HTTP server, renamed to its route by
 * {@link RequestTracer}), a span per group commit of the ledger ({@link LedgerSpans}), and a span
 * per database statement (vertx-pg-client, under whichever of the two is current). An incoming W3C
 * {@code traceparent} is continued.
 *
 * <p>Off, nothing here is used: the server's Vert.x gets no tracer (so its HTTP server and SQL
 * client skip every tracing call), its ledger no tracing ({@link LedgerTracing}), and no
 * OpenTelemetry class is even loaded: only the launcher calls in here, and only when the settings
 * turn tracing on.
 */
public final class Tracing {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);

  private Tracing() {}

  /** The tracer factory of the SDK the settings ask for: spans posted over OTLP/HTTP, batched. */
  public static VertxTracerFactory otlp(TracingSettings settings) {
    log.info(
        "Tracing: spans go to {} over OTLP/HTTP as service {}, {} of new traces sampled",
        settings.tracesUrl(),
        settings.serviceName(),
        settings.sample());
    return factory(
        sdk(
            settings,
            OtlpHttpSpanExporter.builder().setEndpoint(settings.tracesUrl()).build(),
            true),
        true);
  }

  /**
   * An SDK exporting to {@code exporter}: the service's name, the settings' sampling (new traces
   * and continued ones alike at the settings' share, whatever the caller's sampled flag says), W3C
   * trace context propagation. Batched for production; tests export each span as it ends.
   */
  public static OpenTelemetrySdk sdk(
      TracingSettings settings, SpanExporter exporter, boolean batched) {
    Resource resource =
        Resource.getDefault()
            .merge(
                Resource.create(
                    Attributes.of(AttributeKey.stringKey("service.name"), settings.serviceName())));
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(resource)
            // Our own spans follow their parent (a request's children are recorded with it); a
            // caller's sampled flag is not followed (CallerBlindSampler).
            .setSampler(
                Sampler.parentBasedBuilder(Sampler.traceIdRatioBased(settings.sample()))
                    .setRemoteParentSampled(new CallerBlindSampler(settings.sample()))
                    .setRemoteParentNotSampled(new CallerBlindSampler(settings.sample()))
                    .build())
            .addSpanProcessor(
                batched
                    ? BatchSpanProcessor.builder(exporter).build()
                    : SimpleSpanProcessor.create(exporter))
            .build();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /**
   * Vert.x's tracer factory over {@code sdk}, for {@code GrantryServer.createVertx}.
   *
   * @param closeWithVertx whether closing the Vert.x instance shuts the SDK down (flushing the
   *     spans not exported yet): the launcher's SDK is; a test's stays its own
   */
  public static VertxTracerFactory factory(OpenTelemetrySdk sdk, boolean closeWithVertx) {
    return new VertxTracerFactory() {
      @Override
      public VertxTracer<?, ?> tracer(TracingOptions options) {
        @SuppressWarnings("unchecked")
        VertxTracer<Object, Object> otel =
            (VertxTracer<Object, Object>) new OpenTelemetryTracingFactory(sdk).tracer(options);
        return new RequestTracer(otel, new LedgerSpans(sdk), closeWithVertx ? sdk : null);
      }

      @Override
      public TracingOptions newOptions() {
        return new TracingOptions();
      }

      @Override
      public TracingOptions newOptions(JsonObject json) {
        return new TracingOptions(json);
      }
    };
  }
}
