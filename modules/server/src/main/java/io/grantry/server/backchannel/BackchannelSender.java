package io.grantry.server.backchannel;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.logout.BackchannelEvent;
import io.grantry.domain.logout.BackchannelEventCodec;
import io.grantry.domain.logout.BackchannelRetries;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.server.app.Aggregate;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the logout tokens {@link BackchannelProjection} says are owed: every second it claims
 * the due deliveries (of several servers, one takes each: {@code FOR UPDATE SKIP LOCKED}, and a
 * claim lapses if its sender dies), POSTs each client a freshly signed logout token (OpenID Connect
 * Back-Channel Logout 1.0 §2.5: {@code application/x-www-form-urlencoded}, {@code logout_token}),
 * and records the outcome as an event in the delivery's stream: delivered, failed (with the next
 * attempt, {@link BackchannelRetries}), or abandoned. The projection moves the row from those
 * events. Nothing here is on the path of the request that ended the session.
 */
public final class BackchannelSender {
  private static final Logger log = LoggerFactory.getLogger(BackchannelSender.class);
  static final Duration POLL = Duration.ofSeconds(1);
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final Duration CLAIM = Duration.ofSeconds(30);
  static final Duration TOKEN_LIFETIME = Duration.ofMinutes(2);
  static final int BATCH = 16;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Aggregate.Metadata WHO = Aggregate.Metadata.system("backchannel-logout");

  private static final String CLAIM_DUE =
      "UPDATE backchannel_deliveries d SET claimed_until = $1 FROM (SELECT session_id, client_id"
          + " FROM backchannel_deliveries WHERE state = 'pending' AND next_attempt_at <= $2 AND"
          + " (claimed_until IS NULL OR claimed_until < $2) ORDER BY next_attempt_at LIMIT "
          + BATCH
          + " FOR UPDATE SKIP LOCKED) due WHERE d.session_id = due.session_id AND d.client_id ="
          + " due.client_id RETURNING d.session_id, d.client_id, d.user_id, d.attempts,"
          + " d.session_ended_at";

  private final Vertx vertx;
  private final Pool pool;
  private final EventStore store;
  private final ClientDirectory clients;
  private final TokenIssuer tokens;
  private final Clock clock;
  private final HttpClient http;
  private long timer = -1;
  private boolean running;

  /** One owed delivery, as claimed. */
  record Due(
      String sessionId, String clientId, String userId, int attempts, Instant sessionEndedAt) {}

  public BackchannelSender(
      Vertx vertx,
      Pool pool,
      EventStore store,
      ClientDirectory clients,
      TokenIssuer tokens,
      Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.clients = clients;
    this.tokens = tokens;
    this.clock = clock;
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) TIMEOUT.toMillis())
                .setIdleTimeout((int) TIMEOUT.toSeconds())
                .setKeepAlive(false)
                // A client's host: our trace context stays here (GRANTRY_OTEL_ENDPOINT).
                .setTracingPolicy(TracingPolicy.IGNORE));
  }

  public void start() {
    timer = vertx.setPeriodic(POLL.toMillis(), id -> sendDue());
  }

  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return http.close();
  }

  /** Sends what is due now; the future completes when every claimed delivery has an outcome. */
  public Future<Integer> sendDue() {
    if (running) {
      return Future.succeededFuture(0);
    }
    running = true;
    Instant now = clock.instant();
    return pool.preparedQuery(CLAIM_DUE)
        .execute(Tuple.of(utc(now.plus(CLAIM)), utc(now)))
        .compose(
            rows -> {
              List<Future<Void>> sent = new ArrayList<>();
              for (Row r : rows) {
                Due due =
                    new Due(
                        r.getString("session_id"),
                        r.getString("client_id"),
                        r.getString("user_id"),
                        r.getInteger("attempts"),
                        r.getOffsetDateTime("session_ended_at").toInstant());
                sent.add(deliver(due).recover(err -> failed(due, err)));
              }
              return Future.join(sent).map(v -> sent.size());
            })
        .onComplete(ar -> running = false)
        .onFailure(
            err -> log.warn("Back-channel logout deliveries could not run: {}", err.toString()));
  }

  private Future<Void> deliver(Due due) {
    int attempt = due.attempts() + 1;
    return clients
        .find(due.clientId())
        .compose(
            client -> {
              Optional<String> uri =
                  client
                      .filter(c -> !c.disabled())
                      .flatMap(c -> c.metadata().logout().backchannelLogoutUri());
              if (uri.isEmpty()) {
                return record(
                    due,
                    new BackchannelEvent.Abandoned(
                        due.userId(),
                        due.sessionId(),
                        due.clientId(),
                        attempt,
                        "the client has no back-channel logout URI (or is disabled)",
                        clock.instant()));
              }
              return post(uri.get(), token(client.get(), due))
                  .compose(
                      status ->
                          status == 200 || status == 204
                              ? record(
                                  due,
                                  new BackchannelEvent.Delivered(
                                      due.userId(),
                                      due.sessionId(),
                                      due.clientId(),
                                      attempt,
                                      status,
                                      clock.instant()))
                              : failed(due, "the client answered " + status, Optional.of(status)));
            });
  }

  private Future<Void> failed(Due due, Throwable err) {
    return failed(due, reason(err), Optional.empty());
  }

  private Future<Void> failed(Due due, String reason, Optional<Integer> status) {
    int attempt = due.attempts() + 1;
    Instant now = clock.instant();
    Optional<Instant> next = BackchannelRetries.next(attempt, now, due.sessionEndedAt());
    BackchannelEvent event =
        next.isPresent()
            ? new BackchannelEvent.AttemptFailed(
                due.userId(),
                due.sessionId(),
                due.clientId(),
                attempt,
                reason,
                status,
                next.get(),
                now)
            : new BackchannelEvent.Abandoned(
                due.userId(),
                due.sessionId(),
                due.clientId(),
                attempt,
                reason + "; no further attempt",
                now);
    return record(due, event);
  }

  private String token(ClientState.Registered client, Due due) {
    byte[] jti = new byte[16];
    RANDOM.nextBytes(jti);
    Instant now = clock.instant();
    return tokens.logoutToken(
        client.metadata().idTokenSignedResponseAlg(),
        client.clientId(),
        due.userId(),
        due.sessionId(),
        Base64.getUrlEncoder().withoutPadding().encodeToString(jti),
        now,
        now.plus(TOKEN_LIFETIME));
  }

  private Future<Integer> post(String uri, String logoutToken) {
    return http.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(uri)
                .setConnectTimeout(TIMEOUT.toMillis())
                .setIdleTimeout(TIMEOUT.toMillis())
                .putHeader("Content-Type", "application/x-www-form-urlencoded"))
        .compose(
            req ->
                req.send(
                        Buffer.buffer(
                            "logout_token="
                                + URLEncoder.encode(logoutToken, StandardCharsets.UTF_8)))
                    .compose(resp -> resp.body().map(b -> resp.statusCode())))
        .timeout(TIMEOUT.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Appends the outcome to the delivery's stream, whose version is the attempts made so far: of two
   * senders that somehow sent the same attempt, one records it.
   */
  private Future<Void> record(Due due, BackchannelEvent event) {
    if (event instanceof BackchannelEvent.Delivered) {
      log.info(
          "Back-channel logout of session {} delivered to {} (attempt {})",
          due.sessionId(),
          due.clientId(),
          event.attempt());
    } else {
      log.info(
          "Back-channel logout of session {} to {}: {} (attempt {})",
          due.sessionId(),
          due.clientId(),
          event instanceof BackchannelEvent.AttemptFailed f
              ? f.reason()
              : ((BackchannelEvent.Abandoned) event).reason(),
          event.attempt());
    }
    NewEvent e =
        NewEvent.of(
            BackchannelEventCodec.INSTANCE.type(event),
            BackchannelEventCodec.INSTANCE.toJson(event),
            WHO.toJson());
    return store
        .append(
            BackchannelEvent.streamId(due.sessionId(), due.clientId()),
            due.attempts() == 0
                ? ExpectedVersion.NO_STREAM
                : ExpectedVersion.exactly(due.attempts()),
            e)
        .<Void>mapEmpty()
        .recover(
            err ->
                err instanceof WrongExpectedVersionException
                    ? Future.succeededFuture()
                    : Future.failedFuture(err));
  }

  private static String reason(Throwable err) {
    String m = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    m = m.replaceAll("[\\r\\n]+", " ");
    return m.length() > 200 ? m.substring(0, 200) : m;
  }

  private static OffsetDateTime utc(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
