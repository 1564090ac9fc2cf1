package io.grantry.server.dev;

import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.grantry.server.clients.ClientsProjection;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Development mode's demo data: on the first start on an embedded database (no {@code
 * client:demo-web} stream yet) it registers a confidential client {@value #WEB_CLIENT}, a public
 * client {@value #NATIVE_CLIENT} and a user {@value #USER} through the same services as the admin
 * API, and keeps the generated client secret and password in {@code <data dir>/demo.json} (mode
 * 0600; the ledger holds only their hashes). At every development start it returns lines to print:
 * the ids, the secret, the password, the admin token and a ready-to-open authorize URL.
 *
 * <p>The lines hold secrets on purpose, for the developer's terminal: they are printed by the
 * command, never logged.
 *
 * <p>Safe to interrupt: the file is written before anything is registered, the web client (the
 * marker of a finished seed) is registered last, and a repeated seed reuses what is already there.
 */
public final class DevSeed {
  private static final Logger log = LoggerFactory.getLogger(DevSeed.class);
  public static final String WEB_CLIENT = "demo-web";
  public static final String NATIVE_CLIENT = "demo-native";
  public static final String USER = "demo";
  public static final String FILE = "demo.json";
  static final List<String> WEB_REDIRECTS =
      List.of("http://localhost:8081/callback", "http://127.0.0.1:8081/callback");
  static final String NATIVE_REDIRECT = "http://127.0.0.1/callback";
  private static final Aggregate.Metadata WHO = Aggregate.Metadata.system("dev-seed");
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  /**
   * @param seededNow whether this start created the demo data
   * @param lines what to print for the developer (contains secrets: print, never log)
   * @param flow the flow the printed authorize URL starts, for {@link DevCallbackRoutes}
   */
  public record Result(boolean seededNow, List<String> lines, Flow flow) {
    @Override
    public String toString() {
      return "DevSeed.Result[seededNow=" + seededNow + ", lines=<redacted>]";
    }
  }

  /**
   * The code flow the printed authorize URL starts: demo-web with its secret (null when it is not
   * known), the development callback as redirect URI, the URL's state and its PKCE verifier.
   */
  public record Flow(
      String clientId, String clientSecret, String redirectUri, String state, String verifier) {
    /** The curl command that redeems {@code code} of this flow by hand. */
    public String redeemCommand(String code) {
      return "curl -u "
          + clientId
          + ":"
          + (clientSecret != null ? clientSecret : "<secret>")
          + " -d grant_type=authorization_code -d code="
          + code
          + " -d redirect_uri="
          + redirectUri
          + " -d code_verifier="
          + verifier
          + " "
          + redirectUri.substring(0, redirectUri.length() - DevCallbackRoutes.PATH.length())
          + "/token";
    }

    @Override
    public String toString() {
      return "DevSeed.Flow[" + clientId + ", redacted]";
    }
  }

  private final Vertx vertx;
  private final EventStore store;
  private final ClientService clients;
  private final UserService users;
  private final UserDirectory directory;
  private final ClientDirectory clientDirectory;
  private final String issuer;
  private final String adminToken;
  private final Path file;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param store an event store carrying the inline projections ({@code
   *     InlineProjections.register})
   * @param clients and {@code users}: services over {@code store}
   * @param adminToken the admin API's token, to print (null: none)
   * @param dataDir where {@value #FILE} is kept, normally {@code GRANTRY_DATA_DIR}
   */
  public DevSeed(
      Vertx vertx,
      EventStore store,
      ClientService clients,
      UserService users,
      UserDirectory directory,
      ClientDirectory clientDirectory,
      String issuer,
      String adminToken,
      Path dataDir) {
    this.vertx = vertx;
    this.store = store;
    this.clients = clients;
    this.users = users;
    this.directory = directory;
    this.clientDirectory = clientDirectory;
    this.issuer = issuer;
    this.adminToken = adminToken;
    this.file = dataDir.resolve(FILE);
  }

  /** Seeds when the demo client does not exist yet, then returns the lines to print. */
  public Future<Result> run() {
    return store
        .readStream(ClientsProjection.streamId(WEB_CLIENT))
        .compose(
            events ->
                vertx
                    .executeBlocking(this::read, false)
                    .compose(
                        stored ->
                            events.isEmpty()
                                ? seed(stored).map(saved -> result(true, saved))
                                : withDevCallback().map(v -> result(false, stored))));
  }

  /**
   * Demo data seeded before the development callback existed, or for another issuer (another port),
   * lacks its redirect URI: it is added to demo-web's, the rest of its registration kept.
   */
  private Future<Void> withDevCallback() {
    String callback = issuer + DevCallbackRoutes.PATH;
    return clientDirectory
        .find(WEB_CLIENT)
        .compose(
            found -> {
              if (found.isEmpty() || found.get().metadata().redirectUris().contains(callback)) {
                return Future.succeededFuture();
              }
              return clients
                  .change(
                      WEB_CLIENT,
                      current -> {
                        List<String> redirects = new ArrayList<>(current.redirectUris());
                        if (!redirects.contains(callback)) {
                          redirects.add(callback);
                        }
                        return current.toBuilder().redirectUris(redirects).build();
                      },
                      Optional.empty(),
                      WHO)
                  .<Void>mapEmpty();
            });
  }

  private Future<JsonObject> seed(JsonObject stored) {
    JsonObject saved = stored.copy();
    if (!saved.containsKey("password")) {
      saved.put("password", token(18));
    }
    saved.remove("client_secret");
    String password = saved.getString("password");
    return vertx
        .executeBlocking(() -> write(saved), false)
        .compose(
            v ->
                users
                    .register(
                        USER,
                        password,
                        Optional.of("demo@example.com"),
                        Optional.of("Demo User"),
                        WHO)
                    .recover(
                        err ->
                            taken(err, e -> e instanceof DomainError.AlreadyExists)
                                // A seed interrupted earlier: the user exists, maybe with a
                                // password we no longer know.
                                ? resetPassword(users, password)
                                : Future.failedFuture(err)))
        .compose(
            u ->
                clients
                    .register(Optional.of(NATIVE_CLIENT), nativeClient(), WHO)
                    .map(i -> (Void) null)
                    .recover(
                        err ->
                            taken(err, e -> e instanceof DomainError.AlreadyExists)
                                ? Future.succeededFuture()
                                : Future.failedFuture(err)))
        .compose(v -> clients.register(Optional.of(WEB_CLIENT), webClient(issuer), WHO))
        .compose(
            issued -> {
              saved.put("client_secret", issued.clientSecret().orElseThrow());
              return vertx.executeBlocking(() -> write(saved), false);
            })
        .map(
            v -> {
              log.info(
                  "Development demo data seeded: clients {} and {}, user {} (credentials in {})",
                  WEB_CLIENT,
                  NATIVE_CLIENT,
                  USER,
                  file);
              return saved;
            });
  }

  private Future<UserState.Registered> resetPassword(UserService users, String password) {
    return directory
        .findByUsername(USER)
        .compose(
            found ->
                found.isPresent()
                    ? users.setPassword(found.get().userId(), password, WHO)
                    : Future.failedFuture(
                        new IllegalStateException(
                            "the username '" + USER + "' is claimed but no such user exists")));
  }

  private static boolean taken(Throwable err, Predicate<DomainError> kind) {
    return err instanceof CommandRejected r && kind.test(r.error());
  }

  /** demo-web: the README's callbacks and this server's development callback. */
  static ClientMetadata webClient(String issuer) {
    List<String> redirects = new ArrayList<>(WEB_REDIRECTS);
    redirects.add(issuer + DevCallbackRoutes.PATH);
    return ClientMetadata.builder("Demo web app", ClientType.CONFIDENTIAL)
        .redirectUris(redirects)
        .grantTypes(
            GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN, GrantType.CLIENT_CREDENTIALS)
        .allowedScopes(Scopes.of("openid", "profile", "email", "offline_access", "api"))
        .build();
  }

  static ClientMetadata nativeClient() {
    return ClientMetadata.builder("Demo native app", ClientType.PUBLIC)
        .redirectUris(NATIVE_REDIRECT)
        .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
        .allowedScopes(Scopes.of("openid", "profile", "email", "offline_access"))
        .build();
  }

  private Result result(boolean seededNow, JsonObject saved) {
    Flow flow =
        new Flow(
            WEB_CLIENT,
            saved.getString("client_secret"),
            issuer + DevCallbackRoutes.PATH,
            token(12),
            token(32));
    return new Result(seededNow, lines(saved, flow), flow);
  }

  private List<String> lines(JsonObject saved, Flow flow) {
    String verifier = flow.verifier();
    String state = flow.state();
    String redirect = flow.redirectUri();
    String authorize =
        issuer
            + "/authorize?response_type=code&client_id="
            + WEB_CLIENT
            + "&redirect_uri="
            + URLEncoder.encode(redirect, StandardCharsets.UTF_8)
            + "&scope=openid%20profile&state="
            + state
            + "&code_challenge="
            + challenge(verifier)
            + "&code_challenge_method=S256";
    String secret = saved.getString("client_secret");
    String password = saved.getString("password");
    List<String> out = new ArrayList<>();
    out.add("Development mode: demo data (credentials kept in " + file + ")");
    out.add(
        "  confidential client: "
            + WEB_CLIENT
            + "   client_secret: "
            + (secret != null
                ? secret
                : "(unknown: run 'grantry clients rotate-secret " + WEB_CLIENT + "')"));
    out.add(
        "  public client:       " + NATIVE_CLIENT + "   (PKCE, redirect " + NATIVE_REDIRECT + ")");
    out.add(
        "  user:                "
            + USER
            + "   password: "
            + (password != null
                ? password
                : "(unknown: run 'grantry users set-password " + USER + "')"));
    out.add(
        "  admin token:         "
            + (adminToken != null ? adminToken : "(none configured)")
            + "   (GRANTRY_ADMIN_TOKEN for 'grantry clients|users|keys')");
    out.add("  try the flow:        " + authorize);
    out.add(
        "  (sign in as "
            + USER
            + "; "
            + redirect
            + " then shows the code and redeems it as "
            + WEB_CLIENT
            + ")");
    if (adminToken != null) {
      out.add("  for the CLI, in another terminal:");
      out.add("    export GRANTRY_ADMIN_URL=" + issuer + " GRANTRY_ADMIN_TOKEN=" + adminToken);
    }
    return out;
  }

  private JsonObject read() {
    try {
      return Files.exists(file) ? new JsonObject(Files.readString(file)) : new JsonObject();
    } catch (IOException | RuntimeException e) {
      log.warn(
          "Cannot read {} ({}); the demo credentials it held are lost",
          file,
          e.getClass().getSimpleName());
      return new JsonObject();
    }
  }

  private Void write(JsonObject json) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, json.encodePrettily(), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return null;
  }

  private String token(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return B64URL.encodeToString(b);
  }

  /** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
  static String challenge(String verifier) {
    try {
      return B64URL.encodeToString(
          MessageDigest.getInstance("SHA-256")
              .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
