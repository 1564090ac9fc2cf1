package io.grantry.server.tracing;

import io.grantry.eventstore.AppendTracing;
import io.grantry.server.http.RequestLog;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.tracing.opentelemetry.Operation;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * vertx-opentelemetry's tracer with what it does not do for us:
 *
 * <ul>
 *   <li>an HTTP request's span is named by its route template ({@code POST /token}, {@code GET
 *       /admin/clients/:client_id}: the route of its meters and log lines, {@link
 *       RequestLog#routeLabel}), not by its method alone or by its raw path with ids; it carries
 *       {@code http.route}, the request id of its log lines ({@code grantry.request_id}) and the
 *       client the request names ({@code grantry.client_id}, as the logs name it: never a secret),
 *       and is an error when the answer is a 5xx;
 *   <li>the request's log lines name its trace ({@code trace_id}, {@link RequestLog#traced});
 *   <li>only the tags of {@link SafeTags} reach any span: no URL, query string or header;
 *   <li>the group commits of the ledger get spans of their own ({@link LedgerSpans}).
 * </ul>
 */
final class RequestTracer implements VertxTracer<Object, Object> {
  private final VertxTracer<Object, Object> otel;
  private final LedgerSpans ledger;
  private final OpenTelemetrySdk owned;

  RequestTracer(VertxTracer<Object, Object> otel, LedgerSpans ledger, OpenTelemetrySdk owned) {
    this.otel = otel;
    this.ledger = ledger;
    this.owned = owned;
  }

  AppendTracing ledger() {
    return ledger;
  }

  /** The span of an HTTP request and its method, until the response names its route. */
  private record ServerSpan(Object inner, Span span, String method) {}

  @Override
  public <R> Object receiveRequest(
      Context context,
      SpanKind kind,
      TracingPolicy policy,
      R request,
      String operation,
      Iterable<Map.Entry<String, String>> headers,
      TagExtractor<R> tagExtractor) {
    Object inner =
        otel.receiveRequest(
            context, kind, policy, request, operation, headers, SafeTags.of(tagExtractor));
    Span span = inner instanceof Operation op ? op.span() : null;
    if (span != null && request instanceof HttpServerRequest http) {
      RequestLog.traced(context, span.getSpanContext().getTraceId());
      return new ServerSpan(inner, span, http.method().name());
    }
    return inner;
  }

  @Override
  public <R> void sendResponse(
      Context context,
      R response,
      Object payload,
      Throwable failure,
      TagExtractor<R> tagExtractor) {
    Object inner = payload;
    if (payload instanceof ServerSpan server) {
      inner = server.inner();
      Span span = server.span();
      String route = RequestLog.routeLabel(context);
      if (route != null) {
        span.updateName(server.method() + " " + route);
        span.setAttribute("http.route", route);
      }
      Map<String, String> fields = RequestLog.fields(context);
      String requestId = fields.get("request_id");
      if (requestId != null) {
        span.setAttribute("grantry.request_id", requestId);
      }
      String client = fields.get("client_id");
      if (client != null) {
        span.setAttribute("grantry.client_id", client);
      }
      if (response instanceof HttpServerResponse r && r.getStatusCode() >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
    }
    otel.sendResponse(context, response, inner, failure, SafeTags.of(tagExtractor));
  }

  @Override
  public <R> Object sendRequest(
      Context context,
      SpanKind kind,
      TracingPolicy policy,
      R request,
      String operation,
      BiConsumer<String, String> headers,
      TagExtractor<R> tagExtractor) {
    return otel.sendRequest(
        context, kind, policy, request, operation, headers, SafeTags.of(tagExtractor));
  }

  @Override
  public <R> void receiveResponse(
      Context context,
      R response,
      Object payload,
      Throwable failure,
      TagExtractor<R> tagExtractor) {
    otel.receiveResponse(context, response, payload, failure, SafeTags.of(tagExtractor));
  }

  @Override
  public void close() {
    otel.close();
    if (owned == null) {
      return;
    }
    // Shutting the SDK down exports the spans it still holds. Waiting for that (up to 10 s) is
    // right on the launcher's shutdown thread, so that they leave before the process ends; an
    // event loop only starts it.
    if (Context.isOnEventLoopThread()) {
      owned.shutdown();
    } else {
      owned.close();
    }
  }
}
