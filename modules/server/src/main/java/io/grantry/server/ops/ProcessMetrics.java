package io.grantry.server.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The process's own meters: Micrometer's JVM binders (memory pools, garbage collection, threads,
 * classes), process ones (CPU, uptime, open files), {@code grantry_build_info} (1, with the version
 * and the Java runtime as labels, as Prometheus's own {@code *_build_info} do) and {@code
 * grantry_db_pool_max_connections} (GRANTRY_DB_POOL_SIZE, beside Vert.x's {@code vertx_pool_*}
 * meters of the PostgreSQL pool, so a dashboard can show the pool's use against its size). Closing
 * it stops the garbage collection listener.
 */
public final class ProcessMetrics implements AutoCloseable {
  static final String BUILD_INFO = "grantry.build.info";
  static final String POOL_MAX = "grantry.db.pool.max.connections";

  private final JvmGcMetrics gc = new JvmGcMetrics();

  public ProcessMetrics(MeterRegistry registry, int poolSize) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder(BUILD_INFO, () -> 1)
        .description("The running build: version, Java runtime")
        .tags("version", version(), "java_version", System.getProperty("java.runtime.version"))
        .register(registry);
    Gauge.builder(POOL_MAX, () -> poolSize)
        .description("Connections the PostgreSQL pool may open (GRANTRY_DB_POOL_SIZE)")
        .register(registry);
  }

  /** The version Maven built ({@code grantry-build.properties}), else "unknown". */
  public static String version() {
    try (InputStream in = ProcessMetrics.class.getResourceAsStream("/grantry-build.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() {
    gc.close();
  }
}
