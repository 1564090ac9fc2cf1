package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Access tokens looked up at the same moment on one event loop are read with one statement, each
 * lookup gets its own row, and no lookup is answered by a statement sent before it was asked for.
 */
class AccessTokenReadsTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;
  static String otherSecret;

  @BeforeAll
  static void start() throws Exception {
    // No introspection cache: every introspection below reads the token state.
    server = TestServer.start(Map.of("GRANTRY_INTROSPECTION_CACHE_MS", "0"));
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("reads-app", "https://app.example.test/cb", "api");
    otherSecret = fx.confidentialClient("reads-other", "https://app.example.test/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String issue(String clientId, String secret) {
    HttpResponse<String> r =
        fx.token(clientId, secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static String jti(String jwt) {
    return OAuthFixtures.claims(jwt).getString("jti");
  }

  /** The text arrays of the statements sent through a pool: one entry per statement. */
  record Counted(Pool pool, List<List<String>> statements) {}

  /** The server's pool, with every prepared statement's keys ({@code $1}) written down. */
  static Counted counting(Pool real) {
    List<List<String>> statements = new CopyOnWriteArrayList<>();
    Pool pool =
        (Pool)
            Proxy.newProxyInstance(
                Pool.class.getClassLoader(),
                new Class<?>[] {Pool.class},
                (proxy, method, args) -> {
                  Object out;
                  try {
                    out = method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                  if (!method.getName().equals("preparedQuery")) {
                    return out;
                  }
                  return keysWrittenDown(out, statements);
                });
    return new Counted(pool, statements);
  }

  /** A prepared query whose {@code execute(Tuple)} records the tuple's first value. */
  static Object keysWrittenDown(Object query, List<List<String>> statements) {
    Class<?> type = io.vertx.sqlclient.PreparedQuery.class;
    return Proxy.newProxyInstance(
        type.getClassLoader(),
        new Class<?>[] {type},
        (proxy, method, args) -> {
          if (method.getName().equals("execute")
              && args != null
              && args.length == 1
              && args[0] instanceof Tuple tuple) {
            Object first = tuple.getValue(0);
            statements.add(
                first instanceof String[] keys ? List.of(keys) : List.of(String.valueOf(first)));
          }
          try {
            return method.invoke(query, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** A TokenState made on {@code ctx}, as a verticle makes its own. */
  static TokenState on(Context ctx, Pool pool) throws Exception {
    Promise<TokenState> made = Promise.promise();
    ctx.runOnContext(v -> made.complete(new TokenState(pool)));
    return await(made.future());
  }

  /** Asks for every jti in order, from {@code ctx}, without waiting in between. */
  static List<Optional<TokenState.Token>> lookUp(Context ctx, TokenState state, List<String> jtis)
      throws Exception {
    Promise<List<Future<Optional<TokenState.Token>>>> asked = Promise.promise();
    ctx.runOnContext(
        v -> {
          List<Future<Optional<TokenState.Token>>> out = new ArrayList<>();
          for (String jti : jtis) {
            out.add(state.accessToken(jti));
          }
          asked.complete(out);
        });
    List<Future<Optional<TokenState.Token>>> futures = await(asked.future());
    await(Future.all(futures));
    List<Optional<TokenState.Token>> out = new ArrayList<>();
    futures.forEach(f -> out.add(f.result()));
    return out;
  }

  @Test
  void lookupsWaitingTogetherAreReadWithOneStatementAndEachGetsItsOwnRow() throws Exception {
    List<String> issued = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      issued.add(jti(issue("reads-app", secret)));
    }
    String other = jti(issue("reads-other", otherSecret));
    String revokedToken = issue("reads-app", secret);
    assertThat(
            fx.postForm("/revoke", "reads-app", secret, Map.of("token", revokedToken)).statusCode())
        .isEqualTo(200);
    String revoked = jti(revokedToken);
    String unknown = issued.get(0).substring(0, issued.get(0).length() - 4) + "zzzz";

    Counted counted = counting(server.server.resources().pool());
    Context ctx = server.vertx.getOrCreateContext();
    TokenState state = on(ctx, counted.pool());
    // The first goes at once; the rest arrive while it runs and wait for the next statement.
    List<String> asked = new ArrayList<>(issued);
    asked.addAll(List.of(other, revoked, unknown, issued.get(3)));
    List<Optional<TokenState.Token>> answers = lookUp(ctx, state, asked);

    assertThat(counted.statements())
        .as("the first lookup alone, then the nine that waited (one jti asked twice) together")
        .containsExactly(
            List.of(issued.get(0)),
            List.of(
                issued.get(1),
                issued.get(2),
                issued.get(3),
                issued.get(4),
                issued.get(5),
                other,
                revoked,
                unknown));
    for (int i = 0; i < 6; i++) {
      assertThat(answers.get(i)).isPresent();
      assertThat(answers.get(i).get().clientId()).isEqualTo("reads-app");
      assertThat(answers.get(i).get().revoked()).isFalse();
      assertThat(answers.get(i).get().grantId())
          .isEqualTo(issued.get(i).substring(0, issued.get(i).indexOf('.')));
    }
    assertThat(answers.get(6).get().clientId()).isEqualTo("reads-other");
    assertThat(answers.get(7).get().revoked()).as("the revoked token").isTrue();
    assertThat(answers.get(8)).as("a jti nobody issued").isEmpty();
    assertThat(answers.get(9)).isEqualTo(answers.get(3));
  }

  @Test
  void aLookupIsNeverAnsweredByAStatementSentBeforeItWasAskedFor() throws Exception {
    String jti = jti(issue("reads-app", secret));
    Counted counted = counting(server.server.resources().pool());
    Context ctx = server.vertx.getOrCreateContext();
    TokenState state = on(ctx, counted.pool());

    List<Optional<TokenState.Token>> answers = lookUp(ctx, state, List.of(jti, jti, jti));

    // The second and third ask for the same row while the first's statement runs: they are read
    // again, after it (a revocation acknowledged between the two would be seen), not answered by
    // the statement already under way.
    assertThat(counted.statements()).containsExactly(List.of(jti), List.of(jti));
    assertThat(answers).allSatisfy(a -> assertThat(a).isPresent());
  }

  @Test
  void aLookupFromAnotherThreadIsReadAlone() throws Exception {
    String jti = jti(issue("reads-app", secret));
    Counted counted = counting(server.server.resources().pool());
    TokenState state = on(server.vertx.getOrCreateContext(), counted.pool());

    Optional<TokenState.Token> answer = await(state.accessToken(jti));

    assertThat(answer).isPresent();
    assertThat(counted.statements()).containsExactly(List.of(jti));
  }

  /**
   * Over HTTP, many introspections at once (the server's event loops coalesce their reads): each
   * answer is its own token's, a revoked token is inactive at once, a client sees only its own.
   */
  @Test
  void concurrentIntrospectionsOfManyTokensEachGetTheirOwnAnswer() throws Exception {
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      mine.add(issue("reads-app", secret));
    }
    List<String> others = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      others.add(issue("reads-other", otherSecret));
    }
    List<String> revoked = new ArrayList<>(mine.subList(0, 5));
    for (String t : revoked) {
      assertThat(fx.postForm("/revoke", "reads-app", secret, Map.of("token", t)).statusCode())
          .isEqualTo(200);
    }

    List<String> all = new ArrayList<>(mine);
    all.addAll(others);
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("reads-app:" + secret).getBytes(StandardCharsets.UTF_8));
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (String t : all) {
        sent.add(
            OAuthFixtures.HTTP.sendAsync(
                HttpRequest.newBuilder(java.net.URI.create(server.url("/introspect")))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", basic)
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + OAuthFixtures.enc(t)))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();

    for (int i = 0; i < sent.size(); i++) {
      String t = all.get(i % all.size());
      HttpResponse<String> r = sent.get(i).join();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject answer = new JsonObject(r.body());
      if (revoked.contains(t) || others.contains(t)) {
        assertThat(answer).as("revoked, or another client's").isEqualTo(inactive());
      } else {
        assertThat(answer.getBoolean("active")).isTrue();
        assertThat(answer.getString("jti")).isEqualTo(jti(t));
        assertThat(answer.getString("client_id")).isEqualTo("reads-app");
      }
    }
  }

  static JsonObject inactive() {
    return new JsonObject().put("active", false);
  }
}
