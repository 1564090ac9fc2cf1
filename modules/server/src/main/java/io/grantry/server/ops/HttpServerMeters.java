package io.grantry.server.ops;

import io.grantry.server.http.RequestLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HTTP server's request meters, recorded with meters looked up once per (route, method, status)
 * instead of per request. Our own code rather than vertx-micrometer's HTTP server metrics because
 * of their cost: for every request those build tag lists and look five meters up in the registry
 * (active requests, request bytes, request count, response time, response bytes), 3.8% of the CPU
 * of a client_credentials request in the profiles ({@code ops/bench/results/profiles/}). Everything
 * else (pools, connections, bytes read and written, the event bus) stays vertx-micrometer's: this
 * factory wraps its factory and replaces only the request-level part of the HTTP server metrics.
 *
 * <p>The meters keep vertx-micrometer's names and labels, which the dashboard and the alerts use
 * ({@code ops/grafana}, {@code ops/prometheus}): {@code vertx_http_server_response_time_seconds}
 * (histogram buckets from {@link OpsMetrics#configure}) and {@code
 * vertx_http_server_requests_total} with {@code route} (the routes vertx-web reports, joined under
 * their mount point, {@link #routeLabel}; {@value #UNMATCHED} when none matched), {@code method}
 * and {@code code}; {@code vertx_http_server_active_requests} per method; {@code
 * vertx_http_server_request_resets_total}. The per-request byte-size summaries ({@code
 * vertx_http_server_request_bytes}, {@code vertx_http_server_response_bytes}) are no longer
 * recorded; the connection-level byte counters remain.
 */
public final class HttpServerMeters {
  static final String REQUESTS = "vertx.http.server.requests";
  static final String ACTIVE = "vertx.http.server.active.requests";
  static final String RESETS = "vertx.http.server.request.resets";

  /** The route label of a request no route matched (a 404, or one the edge answered first). */
  static final String UNMATCHED = "unmatched";

  private HttpServerMeters() {}

  /**
   * The route label once vertx-web reports {@code next}, after {@code sofar}. vertx-web reports
   * every route whose handlers run: a router mounted under {@code /admin/} reports its mount
   * ({@code /admin/}) and then its own route ({@code /clients}), and, when that route fails, the
   * mount again as its failure handler runs. Joined with '&gt;' (vertx-micrometer's way) these gave
   * labels such as {@code /admin/>/clients>/admin/}. Here a route under a mount becomes one path
   * ({@code /admin/clients}), the mount reported again is dropped, and a request no route matched
   * is {@value #UNMATCHED} (it was the empty string).
   */
  static String routeLabel(String sofar, String next) {
    if (next == null || next.isEmpty()) {
      return sofar;
    }
    if (sofar == null) {
      return next;
    }
    if (sofar.startsWith(next)) {
      return sofar; // the mount point again (its failure handler), or the same route
    }
    if (sofar.endsWith("/") && next.startsWith("/")) {
      return sofar.substring(0, sofar.length() - 1) + next; // a sub-router's route
    }
    return next;
  }

  /** vertx-micrometer's metrics factory with the HTTP server's request meters replaced by ours. */
  public static VertxMetricsFactory factory(
      VertxMetricsFactory micrometer, MeterRegistry registry) {
    return new Factory(micrometer, registry);
  }

  private static final class Factory implements VertxMetricsFactory {
    private final VertxMetricsFactory delegate;
    private final MeterRegistry registry;

    Factory(VertxMetricsFactory delegate, MeterRegistry registry) {
      this.delegate = delegate;
      this.registry = registry;
    }

    @Override
    public VertxMetrics metrics(VertxOptions options) {
      return new Metrics(delegate.metrics(options), new Recorder(registry));
    }

    @Override
    public MetricsOptions newOptions() {
      return delegate.newOptions();
    }

    @Override
    public MetricsOptions newOptions(MetricsOptions options) {
      return delegate.newOptions(options);
    }

    @Override
    public MetricsOptions newOptions(JsonObject json) {
      return delegate.newOptions(json);
    }
  }

  /** vertx-micrometer's metrics, except for the request level of HTTP servers. */
  private static final class Metrics implements VertxMetrics {
    private final VertxMetrics d;
    private final Recorder recorder;

    Metrics(VertxMetrics delegate, Recorder recorder) {
      this.d = delegate;
      this.recorder = recorder;
    }

    @Override
    @SuppressWarnings("unchecked")
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(
        HttpServerOptions options, SocketAddress localAddress) {
      HttpServerMetrics<?, ?, ?> net = d.createHttpServerMetrics(options, localAddress);
      return net == null
          ? null
          : new ServerMetrics((HttpServerMetrics<Object, Object, Object>) net, recorder);
    }

    @Override
    public EventBusMetrics createEventBusMetrics() {
      return d.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(
        SocketAddress remoteAddress, String type, String namespace) {
      return d.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return d.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(
        NetServerOptions options, SocketAddress localAddress) {
      return d.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return d.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return d.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
      return d.createPoolMetrics(poolType, poolName, maxPoolSize);
    }

    @Override
    public void vertxCreated(Vertx vertx) {
      d.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return d.isMetricsEnabled();
    }

    @Override
    public void close() {
      d.close();
    }
  }

  /** One request in progress. */
  static final class Request {
    final long start = System.nanoTime();
    final LongAdder active;
    final String method;
    String route;
    boolean done;

    Request(String method, LongAdder active) {
      this.method = method;
      this.active = active;
    }
  }

  /** Connection-level calls go to vertx-micrometer; the request level is recorded here. */
  private static final class ServerMetrics implements HttpServerMetrics<Request, Object, Object> {
    private final HttpServerMetrics<Object, Object, Object> net;
    private final Recorder recorder;

    ServerMetrics(HttpServerMetrics<Object, Object, Object> net, Recorder recorder) {
      this.net = net;
      this.recorder = recorder;
    }

    @Override
    public Request requestBegin(Object socketMetric, HttpRequest request) {
      String method = request.method().name();
      LongAdder active = recorder.active(method);
      active.increment();
      return new Request(method, active);
    }

    @Override
    public void requestRouted(Request r, String route) {
      if (r != null) {
        r.route = routeLabel(r.route, route);
        RequestLog.routed(r.route);
      }
    }

    @Override
    public void requestReset(Request r) {
      if (r != null && !r.done) {
        r.done = true;
        r.active.decrement();
        recorder.resets.increment();
      }
    }

    @Override
    public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
      if (r == null || r.done) {
        return;
      }
      r.done = true;
      r.active.decrement();
      recorder
          .meters(r.route == null ? UNMATCHED : r.route, r.method, response.statusCode())
          .record(System.nanoTime() - r.start);
    }

    @Override
    public Object connected(SocketAddress remoteAddress, String remoteName) {
      return net.connected(remoteAddress, remoteName);
    }

    @Override
    public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
      net.disconnected(socketMetric, remoteAddress);
    }

    @Override
    public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      net.bytesRead(socketMetric, remoteAddress, numberOfBytes);
    }

    @Override
    public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      net.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
    }

    @Override
    public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
      net.exceptionOccurred(socketMetric, remoteAddress, t);
    }

    @Override
    public Object connected(
        Object socketMetric, Request requestMetric, ServerWebSocket serverWebSocket) {
      return null; // no WebSockets here
    }

    @Override
    public void close() {
      net.close();
    }
  }

  /** The timer and counter of one (route, method, status). */
  static final class Meters {
    final Timer time;
    final Counter count;

    Meters(Timer time, Counter count) {
      this.time = time;
      this.count = count;
    }

    void record(long nanos) {
      time.record(nanos, TimeUnit.NANOSECONDS);
      count.increment();
    }
  }

  /** The meters, created on first use and then found without building any tags. */
  static final class Recorder {
    private final MeterRegistry registry;
    final Counter resets;
    private final ConcurrentHashMap<String, LongAdder> active = new ConcurrentHashMap<>();

    /** Route, then method, then status code (100..599). */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, AtomicReferenceArray<Meters>>>
        meters = new ConcurrentHashMap<>();

    Recorder(MeterRegistry registry) {
      this.registry = registry;
      this.resets =
          Counter.builder(RESETS).description("Number of request resets").register(registry);
    }

    LongAdder active(String method) {
      LongAdder a = active.get(method);
      if (a == null) {
        a =
            active.computeIfAbsent(
                method,
                m -> {
                  LongAdder n = new LongAdder();
                  Gauge.builder(ACTIVE, n, LongAdder::doubleValue)
                      .tag("method", m)
                      .description("Number of requests being processed")
                      .register(registry);
                  return n;
                });
      }
      return a;
    }

    Meters meters(String route, String method, int status) {
      int code = status < 100 || status > 599 ? 0 : status;
      var byMethod = meters.get(route);
      if (byMethod == null) {
        byMethod = meters.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
      }
      var byStatus = byMethod.get(method);
      if (byStatus == null) {
        byStatus = byMethod.computeIfAbsent(method, m -> new AtomicReferenceArray<>(600));
      }
      Meters m = byStatus.get(code);
      if (m == null) {
        String c = String.valueOf(status);
        // Registering the same name and tags again returns the same meters: a race only repeats the
        // lookup.
        m =
            new Meters(
                Timer.builder(OpsMetrics.HTTP_RESPONSE_TIME)
                    .description("Response processing time")
                    .tags("route", route, "method", method, "code", c)
                    .register(registry),
                Counter.builder(REQUESTS)
                    .description("Number of processed requests")
                    .tags("route", route, "method", method, "code", c)
                    .register(registry));
        byStatus.set(code, m);
      }
      return m;
    }
  }
}
