package io.grantry.server;

import io.grantry.server.config.GrantryConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the verticles of one server share: configuration, the connection pool and the metrics
 * registry. Nothing else is shared between instances: state lives in the database.
 */
public record ServerResources(
    GrantryConfig config,
    Pool pool,
    PgConnectOptions connectOptions,
    PrometheusMeterRegistry registry,
    AtomicBoolean migrated) {}
