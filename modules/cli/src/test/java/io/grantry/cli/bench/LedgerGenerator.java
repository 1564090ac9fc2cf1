package io.grantry.cli.bench;

import io.grantry.domain.Decision;
import io.grantry.domain.EventCodec;
import io.grantry.domain.client.ClientCommand;
import io.grantry.domain.client.ClientDecider;
import io.grantry.domain.client.ClientEvent;
import io.grantry.domain.client.ClientEventCodec;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.GrantAccessTokens;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.grant.TokenLifetimes;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Pkce;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserCommand;
import io.grantry.domain.user.UserDecider;
import io.grantry.domain.user.UserEvent;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.domain.user.UserState;
import io.grantry.domain.user.UsernameClaimCodec;
import io.grantry.domain.user.UsernameClaimed;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.CheckpointSigner;
import io.grantry.eventstore.pg.Migrations;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.Database;
import io.grantry.server.InlineProjections;
import io.grantry.server.audit.LedgerCheckpoints;
import io.grantry.server.config.ConfigLoader;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.crypto.PasswordHasher;
import io.grantry.server.keys.KeyService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Fills a Grantry database with N events of realistic traffic, fast, for the replay and history
 * benchmarks (ops/bench/ledger.sh). Going through the event store's appends (about 13k events/s
 * here) would take minutes per million; this writes the same rows with COPY instead.
 *
 * <p><b>The same rows the store writes.</b> Every event comes out of the domain's own deciders
 * (client_credentials tokens, code flows with PKCE, redemption and refresh rotations, reuse
 * detection, access token and grant revocations, users with their username claims, consents,
 * clients and secret rotations) and the codecs, with the store's metadata ({@code actor}, {@code
 * request_id}), hashed with {@link EventHash} over the same JSON objects and sent as the same text;
 * stream heads go to {@code streams}; signed checkpoints (the server's active ES256 key, the
 * running digest in commit order) every {@code -Dgrantry.bench.checkpointEvery} events. What
 * differs from traffic through the server: each COPY chunk is one transaction (a group commit of
 * some ten thousand events instead of at most 512), and the projections are left to a rebuild
 * (ops/bench/ledger.sh runs one). {@code grantry audit verify} checks the result.
 *
 * <p>Time is simulated: the events span N / rate seconds (default 1,000 events/s) ending a minute
 * before now, so recent tokens are live and old ones expired, as on a long-running server.
 *
 * <p>Usage: {@code GRANTRY_DATA_DIR=... java -cp grantry.jar:test-classes
 * io.grantry.cli.bench.LedgerGenerator N} on a data directory the server has started on once (keys
 * and secrets exist), with the server stopped. Users share one Argon2id password hash (computed
 * once): the benchmarks never sign in.
 */
public final class LedgerGenerator {
  private static final int CHUNK = Integer.getInteger("grantry.bench.chunk", 50_000);
  private static final int CHECKPOINT_EVERY =
      Integer.getInteger("grantry.bench.checkpointEvery", 60_000);
  private static final double RATE =
      Double.parseDouble(System.getProperty("grantry.bench.rate", "1000"));
  private static final int LIVE_GRANTS = Integer.getInteger("grantry.bench.liveGrants", 100_000);
  private static final HexFormat HEX = HexFormat.of();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String EVENT_COLUMNS =
      "position, txid, event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash";
  private static final Scopes WEB_SCOPES = Scopes.parse("openid profile email offline_access api");
  private static final Scopes CC_SCOPES = Scopes.parse("api");

  // ------------------------------------------------------------------ simulated traffic

  /** A stream head: version and last hash. */
  private static final class Head {
    long version;
    byte[] hash = EventHash.genesis();
  }

  private static final class Client {
    final String id;
    final boolean web;
    final Head head = new Head();
    ClientState state = ClientState.initial();

    Client(String id, boolean web) {
      this.id = id;
      this.web = web;
    }
  }

  private static final class User {
    final String id;
    final Head head = new Head();
    UserState state = UserState.initial();

    User(String id) {
      this.id = id;
    }
  }

  private static final class Grant {
    final String id;
    final Client client;
    final User user;
    final Head head = new Head();
    GrantState state = GrantState.initial();
    String refreshHash;
    String previousRefreshHash;
    String codeHash;
    String verifier;
    String jti;

    /** The access token {@link #jti} as the token-state projection would hold it. */
    GrantCommand.IssuedAccessToken issued;

    int rotationsLeft;

    Grant(String id, Client client, User user) {
      this.id = id;
      this.client = client;
      this.user = user;
    }
  }

  /**
   * One event, encoded as the COPY line after its position and txid, with the hash the digest
   * needs.
   */
  record Row(byte[] line, byte[] hash, Instant at) {}

  /** A chunk for the writer: events in commit order and the stream heads that are final. */
  record Chunk(List<Row> rows, List<String> streams, boolean last, Throwable failure) {
    Chunk(List<Row> rows, List<String> streams, boolean last) {
      this(rows, streams, last, null);
    }
  }

  private final SplittableRandom random;
  private final String passwordHash;
  private final ClientSecrets clientSecrets;
  private final List<Client> clients = new ArrayList<>();
  private final List<Client> webClients = new ArrayList<>();
  private final List<Client> machineClients = new ArrayList<>();
  private final List<User> users = new ArrayList<>();
  private final List<Grant> pendingCodes = new ArrayList<>();
  private final List<Grant> live = new ArrayList<>();
  private final Set<String> consents = new HashSet<>();
  private final MessageDigest sha = EventHash.sha256();
  private final Map<String, Integer> typeCounts = new HashMap<>();
  private long micros;
  private final long stepMicros;
  private List<Row> rows = new ArrayList<>();
  private List<String> finished = new ArrayList<>();
  private long generated;

  LedgerGenerator(long seed, Instant start, String passwordHash, ClientSecrets clientSecrets) {
    this.random = new SplittableRandom(seed);
    this.micros = EventHash.micros(start);
    this.stepMicros = Math.max(1, (long) (1_000_000 / RATE));
    this.passwordHash = passwordHash;
    this.clientSecrets = clientSecrets;
  }

  private Instant now() {
    return Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000);
  }

  private String id(int bytes) {
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i += 8) {
      long r = random.nextLong();
      for (int j = 0; j < 8 && i + j < bytes; j++) {
        b[i + j] = (byte) (r >>> (8 * j));
      }
    }
    return B64.encodeToString(b);
  }

  private UUID uuid() {
    long hi = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo);
  }

  private <E> void emit(
      String streamId, Head head, EventCodec<E> codec, E event, JsonObject metadata) {
    JsonObject payload = codec.toJson(event);
    String type = codec.type(event);
    UUID eventId = uuid();
    Instant at = now();
    long version = ++head.version;
    byte[] prev = head.hash;
    byte[] hash = EventHash.of(prev, streamId, version, eventId, type, at, payload, metadata);
    head.hash = hash;
    StringBuilder sb = new StringBuilder(768);
    sb.append(eventId).append('\t');
    copyText(sb, streamId).append('\t').append(version).append('\t');
    copyText(sb, type).append('\t');
    copyText(sb, payload.encode()).append('\t');
    copyText(sb, metadata.encode()).append('\t');
    sb.append(at).append('\t');
    sb.append("\\\\x").append(HEX.formatHex(prev)).append('\t');
    sb.append("\\\\x").append(HEX.formatHex(hash)).append('\n');
    rows.add(new Row(sb.toString().getBytes(StandardCharsets.UTF_8), hash, at));
    typeCounts.merge(type, 1, Integer::sum);
    generated++;
  }

  /** The stream's head is final: it goes to the streams table with this chunk. */
  private void finish(String streamId, Head head) {
    StringBuilder sb = new StringBuilder(128);
    copyText(sb, streamId)
        .append('\t')
        .append(head.version)
        .append('\t')
        .append("\\\\x")
        .append(HEX.formatHex(head.hash))
        .append('\n');
    finished.add(sb.toString());
  }

  /** COPY text format: backslash, tab, newline and carriage return are escaped. */
  private static StringBuilder copyText(StringBuilder sb, String s) {
    if (s.indexOf('\\') < 0 && s.indexOf('\t') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return sb.append(s);
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        default -> sb.append(c);
      }
    }
    return sb;
  }

  private static JsonObject meta(String actor, String requestId) {
    JsonObject j = new JsonObject().put("actor", actor);
    if (requestId != null) {
      j.put("request_id", requestId);
    }
    return j;
  }

  private JsonObject request(String actor) {
    return meta(actor, uuid().toString());
  }

  private static <E> List<E> accepted(Decision<E> d) {
    return d.events();
  }

  // ------------------------------------------------------------------ actions

  private void newClient(boolean web) {
    String id = (web ? "web-" : "svc-") + Long.toHexString(random.nextLong() >>> 16);
    Client c = new Client(id, web);
    ClientMetadata m =
        web
            ? ClientMetadata.builder("Web app " + id, ClientType.CONFIDENTIAL)
                .redirectUris("https://" + id.toLowerCase() + ".example.com/callback")
                .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
                .allowedScopes(WEB_SCOPES)
                .clientUri("https://" + id.toLowerCase() + ".example.com")
                .build()
            : ClientMetadata.builder("Service " + id, ClientType.CONFIDENTIAL)
                .grantTypes(GrantType.CLIENT_CREDENTIALS)
                .allowedScopes(CC_SCOPES)
                .introspect(random.nextInt(4) == 0)
                .build();
    String secretHash = clientSecrets.hash(id(32));
    clientEvents(c, new ClientCommand.Register(id, m, Optional.of(secretHash)), request("admin"));
    clients.add(c);
    (web ? webClients : machineClients).add(c);
  }

  private void clientEvents(Client c, ClientCommand cmd, JsonObject meta) {
    for (ClientEvent e : accepted(ClientDecider.decide(c.state, cmd, now()))) {
      emit("client:" + c.id, c.head, ClientEventCodec.INSTANCE, e, meta);
      c.state = ClientDecider.evolve(c.state, e);
    }
  }

  private void rotateClientSecret() {
    Client c = clients.get(random.nextInt(clients.size()));
    clientEvents(
        c,
        new ClientCommand.RotateSecret(c.id, clientSecrets.hash(id(32)), Duration.ofHours(24)),
        request("admin"));
  }

  private void newUser() {
    String userId = uuid().toString();
    String username = "user" + users.size() + "-" + id(3).toLowerCase();
    JsonObject who = request("admin");
    Head claim = new Head();
    String claimStream = UsernameClaimed.streamId(username);
    emit(
        claimStream,
        claim,
        UsernameClaimCodec.INSTANCE,
        new UsernameClaimed(userId, username),
        who);
    finish(claimStream, claim);
    User u = new User(userId);
    userEvents(
        u,
        new UserCommand.Register(
            userId,
            username,
            passwordHash,
            Optional.of(username + "@example.com"),
            Optional.of("User " + users.size())),
        who);
    users.add(u);
  }

  private void userEvents(User u, UserCommand cmd, JsonObject meta) {
    for (UserEvent e : accepted(UserDecider.decide(u.state, cmd, now()))) {
      emit("user:" + u.id, u.head, UserEventCodec.INSTANCE, e, meta);
      u.state = UserDecider.evolve(u.state, e);
    }
  }

  private void changePassword() {
    User u = users.get(random.nextInt(users.size()));
    userEvents(u, new UserCommand.ChangePassword(u.id, passwordHash), request("admin"));
  }

  private boolean grantEvents(Grant g, GrantCommand cmd, JsonObject meta) {
    Decision<GrantEvent> d = GrantDecider.decide(g.state, cmd, now());
    if (!d.isAccepted()) {
      return false;
    }
    for (GrantEvent e : d.events()) {
      emit(GrantTokens.streamId(g.id), g.head, GrantEventCodec.INSTANCE, e, meta);
      g.state = GrantDecider.evolve(g.state, e);
      GrantAccessTokens.issuedBy(e)
          .ifPresent(t -> g.issued = new GrantCommand.IssuedAccessToken(t.expiresAt(), false));
      if (e instanceof AccessTokenRevoked) {
        g.issued = new GrantCommand.IssuedAccessToken(g.issued.expiresAt(), true);
      }
    }
    return !d.events().isEmpty();
  }

  private void clientCredentials() {
    Client c = machineClients.get(random.nextInt(machineClients.size()));
    Grant g = new Grant(id(16).substring(0, 22), c, null);
    String jti = GrantTokens.jti(g.id, id(12).substring(0, 16));
    grantEvents(
        g,
        new GrantCommand.IssueClientCredentials(g.id, c.id, jti, CC_SCOPES, Duration.ofHours(1)),
        request("client:" + c.id));
    finish(GrantTokens.streamId(g.id), g.head);
  }

  private void issueCode() {
    int ui = random.nextInt(users.size());
    User u = users.get(ui);
    // Most people use the one or two apps they always use: consent is asked once per user and app.
    Client c =
        webClients.get(
            random.nextInt(5) == 0
                ? random.nextInt(webClients.size())
                : (int) ((ui * 2654435761L + random.nextInt(2)) % webClients.size()));
    Scopes scopes =
        random.nextInt(10) < 8
            ? Scopes.parse("openid profile offline_access")
            : Scopes.parse("openid profile email");
    JsonObject who = request("user:" + u.id);
    String pair = u.id + ":" + c.id;
    if (consents.add(pair)) {
      Head h = new Head();
      String stream = Consent.streamId(u.id, c.id);
      for (ConsentEvent e :
          accepted(Consent.grant(Consent.State.NONE, u.id, c.id, scopes, now()))) {
        emit(stream, h, Consent.CODEC, e, who);
      }
      finish(stream, h);
    }
    Grant g = new Grant(id(16).substring(0, 22), c, u);
    String code = id(32);
    g.codeHash = GrantTokens.hash(code);
    g.verifier = id(32);
    String redirect =
        c.state instanceof ClientState.Registered r ? r.metadata().redirectUris().get(0) : null;
    grantEvents(
        g,
        new GrantCommand.IssueCode(
            g.id,
            c.id,
            ClientType.CONFIDENTIAL,
            u.id,
            redirect,
            true,
            scopes,
            g.codeHash,
            Optional.of(Pkce.s256(g.verifier)),
            Optional.of(id(12)),
            now(),
            Optional.empty(),
            GrantDecider.DEFAULT_CODE_LIFETIME,
            Optional.empty()),
        who);
    pendingCodes.add(g);
  }

  private void redeemCode() {
    Grant g = pendingCodes.remove(pendingCodes.size() - 1);
    boolean offline =
        ((GrantState.CodeIssued) g.state).code().scopes().contains(Scopes.OFFLINE_ACCESS);
    g.jti = GrantTokens.jti(g.id, id(12).substring(0, 16));
    String refresh = id(32);
    g.refreshHash = offline ? GrantTokens.hash(refresh) : null;
    String redirect = ((GrantState.CodeIssued) g.state).code().redirectUri();
    grantEvents(
        g,
        new GrantCommand.RedeemCode(
            g.id,
            g.client.id,
            g.codeHash,
            Optional.of(redirect),
            Optional.of(g.verifier),
            g.jti,
            Optional.ofNullable(g.refreshHash),
            TokenLifetimes.DEFAULT),
        request("client:" + g.client.id));
    if (random.nextInt(200) == 0) {
      // A replayed code: the grant is revoked (code_replayed).
      grantEvents(
          g,
          new GrantCommand.RedeemCode(
              g.id,
              g.client.id,
              g.codeHash,
              Optional.of(redirect),
              Optional.of(g.verifier),
              GrantTokens.jti(g.id, id(12).substring(0, 16)),
              Optional.empty(),
              TokenLifetimes.DEFAULT),
          request("client:" + g.client.id));
      retire(g);
    } else if (offline) {
      g.rotationsLeft = 1 + (int) (-Math.log(1 - random.nextDouble()) * 4);
      live.add(g);
    } else {
      retire(g);
    }
  }

  private void rotate() {
    int i = random.nextInt(live.size());
    Grant g = live.get(i);
    String next = GrantTokens.hash(id(32));
    String jti = GrantTokens.jti(g.id, id(12).substring(0, 16));
    grantEvents(
        g,
        new GrantCommand.Refresh(
            g.id,
            g.client.id,
            g.refreshHash,
            Optional.empty(),
            next,
            jti,
            TokenLifetimes.DEFAULT,
            Duration.ZERO),
        request("client:" + g.client.id));
    g.previousRefreshHash = g.refreshHash;
    g.refreshHash = next;
    g.jti = jti;
    if (--g.rotationsLeft <= 0) {
      removeLive(i);
      retire(g);
    }
  }

  private void reuse() {
    for (int tries = 0; tries < 4; tries++) {
      int i = random.nextInt(live.size());
      Grant g = live.get(i);
      if (g.previousRefreshHash == null) {
        continue;
      }
      grantEvents(
          g,
          new GrantCommand.Refresh(
                  g.id,
                  g.client.id,
                  g.previousRefreshHash,
                  Optional.empty(),
                  GrantTokens.hash(id(32)),
                  GrantTokens.jti(g.id, id(12).substring(0, 16)),
                  TokenLifetimes.DEFAULT,
                  Duration.ZERO)
              .issuedByGrant(),
          request("client:" + g.client.id));
      removeLive(i);
      retire(g);
      return;
    }
    rotate();
  }

  private void revokeGrant() {
    int i = random.nextInt(live.size());
    Grant g = live.get(i);
    int who = random.nextInt(3);
    String actor = who == 0 ? "client:" + g.client.id : who == 1 ? "user:" + g.user.id : "admin";
    RevocationReason reason =
        who == 0
            ? RevocationReason.REVOKED_BY_CLIENT
            : who == 1 ? RevocationReason.CONSENT_REVOKED : RevocationReason.ADMIN;
    grantEvents(
        g,
        new GrantCommand.RevokeGrant(
            g.id, reason, actor, who == 0 ? Optional.of(g.client.id) : Optional.empty()),
        request(actor));
    removeLive(i);
    retire(g);
  }

  private void revokeAccessToken() {
    Grant g = live.get(random.nextInt(live.size()));
    grantEvents(
        g,
        new GrantCommand.RevokeAccessToken(
            g.id,
            g.jti,
            "client:" + g.client.id,
            Optional.of(g.client.id),
            Optional.ofNullable(g.issued)),
        request("client:" + g.client.id));
  }

  private void removeLive(int i) {
    Grant last = live.remove(live.size() - 1);
    if (i < live.size()) {
      live.set(i, last);
    }
  }

  private void retire(Grant g) {
    finish(GrantTokens.streamId(g.id), g.head);
  }

  /** One request's worth of events, picked by the traffic mix. */
  private void step() {
    micros += stepMicros / 2 + random.nextLong(stepMicros);
    if (!pendingCodes.isEmpty() && random.nextInt(3) == 0) {
      redeemCode();
      return;
    }
    if (live.size() > LIVE_GRANTS) {
      // Grants nobody refreshes any more simply go quiet.
      Grant g = live.get(random.nextInt(live.size()));
      live.remove(g);
      retire(g);
    }
    int r = random.nextInt(10_000);
    if (r < 5_500) {
      clientCredentials();
    } else if (r < 6_600) {
      issueCode();
    } else if (r < 9_300) {
      if (live.isEmpty()) {
        issueCode();
      } else {
        rotate();
      }
    } else if (r < 9_450) {
      if (live.isEmpty()) {
        clientCredentials();
      } else {
        revokeGrant();
      }
    } else if (r < 9_550) {
      if (live.isEmpty()) {
        clientCredentials();
      } else {
        revokeAccessToken();
      }
    } else if (r < 9_570) {
      if (live.isEmpty()) {
        clientCredentials();
      } else {
        reuse();
      }
    } else if (r < 9_610) {
      newUser();
    } else if (r < 9_950) {
      clientCredentials();
    } else if (r < 9_990) {
      changePassword();
    } else if (r < 9_996) {
      newClient(random.nextBoolean());
    } else {
      rotateClientSecret();
    }
  }

  /**
   * The first clients and users, then traffic until {@code target} events; chunks go to {@code
   * out}.
   */
  void run(long target, BlockingQueue<Chunk> out) throws InterruptedException {
    for (int i = 0; i < 40; i++) {
      newClient(true);
    }
    for (int i = 0; i < 40; i++) {
      newClient(false);
    }
    for (int i = 0; i < 200; i++) {
      newUser();
    }
    while (generated < target) {
      step();
      if (rows.size() >= CHUNK) {
        out.put(new Chunk(rows, finished, false));
        rows = new ArrayList<>(CHUNK + 16);
        finished = new ArrayList<>();
      }
    }
    for (Grant g : pendingCodes) {
      retire(g);
    }
    for (Grant g : live) {
      retire(g);
    }
    for (Client c : clients) {
      finish("client:" + c.id, c.head);
    }
    for (User u : users) {
      finish("user:" + u.id, u.head);
    }
    out.put(new Chunk(rows, finished, true));
  }

  // ------------------------------------------------------------------ writing

  /** Writes chunks with COPY, one transaction each, and signs checkpoints into them. */
  static final class Writer {
    private final Connection conn;
    private final CopyManager copy;
    private final CheckpointSigner signer;
    private final MessageDigest md = EventHash.sha256();
    private byte[] digest;
    private long count;
    private GlobalPosition lastPosition;
    private GlobalPosition checkpointPosition;
    private byte[] checkpointDigest;
    private final Head checkpoints = new Head();
    private final boolean checkpointsExisted;
    private long sinceCheckpoint;
    long written;
    long checkpointsWritten;

    Writer(Connection conn, CheckpointSigner signer, Ledger existing) throws Exception {
      this.conn = conn;
      this.copy = conn.unwrap(PGConnection.class).getCopyAPI();
      this.signer = signer;
      this.digest = existing.digest;
      this.count = existing.count;
      this.lastPosition = existing.last;
      this.checkpointPosition = existing.checkpointPosition;
      this.checkpointDigest = existing.checkpointDigest;
      this.checkpoints.version = existing.checkpointsVersion;
      this.checkpoints.hash = existing.checkpointsHash;
      this.checkpointsExisted = existing.checkpointsVersion > 0;
      conn.setAutoCommit(false);
    }

    void write(Chunk chunk) throws Exception {
      int n = chunk.rows().size();
      // Where the checkpoints fall in this chunk (after which row), so the positions can be
      // reserved first.
      List<Integer> cuts = new ArrayList<>();
      long since = sinceCheckpoint;
      for (int i = 0; i < n; i++) {
        if (++since >= CHECKPOINT_EVERY) {
          cuts.add(i);
          since = 0;
        }
      }
      int total = n + cuts.size();
      long txid;
      long first;
      try (Statement st = conn.createStatement()) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT pg_current_xact_id()::text::bigint, nextval('events_position_seq')")) {
          rs.next();
          txid = rs.getLong(1);
          first = rs.getLong(2);
        }
        if (total > 1) {
          st.execute("SELECT setval('events_position_seq', " + (first + total - 1) + ")");
        }
      }
      ByteArrayOutputStream buf = new ByteArrayOutputStream(n * 800);
      long position = first;
      int cut = 0;
      for (int i = 0; i < n; i++) {
        Row r = chunk.rows().get(i);
        line(buf, position, txid, r.line());
        advance(new GlobalPosition(txid, position++), r.hash());
        sinceCheckpoint++;
        if (cut < cuts.size() && cuts.get(cut) == i) {
          cut++;
          byte[] line = checkpoint(r.at());
          line(buf, position, txid, line);
          advance(new GlobalPosition(txid, position++), checkpoints.hash);
          sinceCheckpoint = 0;
        }
      }
      copy.copyIn(
          "COPY events (" + EVENT_COLUMNS + ") FROM STDIN",
          new ByteArrayInputStream(buf.toByteArray()));
      ByteArrayOutputStream streams = new ByteArrayOutputStream(chunk.streams().size() * 120);
      for (String s : chunk.streams()) {
        streams.write(s.getBytes(StandardCharsets.UTF_8));
      }
      copy.copyIn(
          "COPY streams (stream_id, version, last_hash) FROM STDIN",
          new ByteArrayInputStream(streams.toByteArray()));
      if (chunk.last() && checkpoints.version > 0) {
        String sql =
            checkpointsExisted
                ? "UPDATE streams SET version = ?, last_hash = ? WHERE stream_id = ?"
                : "INSERT INTO streams (version, last_hash, stream_id) VALUES (?, ?, ?)";
        try (var ps = conn.prepareStatement(sql)) {
          ps.setLong(1, checkpoints.version);
          ps.setBytes(2, checkpoints.hash);
          ps.setString(3, Checkpoint.STREAM);
          ps.executeUpdate();
        }
      }
      conn.commit();
      written += total;
    }

    private static void line(ByteArrayOutputStream buf, long position, long txid, byte[] rest) {
      byte[] head = (position + "\t" + txid + "\t").getBytes(StandardCharsets.US_ASCII);
      buf.write(head, 0, head.length);
      buf.write(rest, 0, rest.length);
    }

    private void advance(GlobalPosition at, byte[] hash) {
      digest = Checkpoint.next(md, digest, hash);
      count++;
      lastPosition = at;
    }

    /**
     * A signed checkpoint over everything written so far, as the server's checkpointer appends it.
     */
    private byte[] checkpoint(Instant at) {
      JsonObject claims =
          Checkpoint.claims(lastPosition, count, digest, checkpointPosition, checkpointDigest);
      Checkpoint c =
          new Checkpoint(
              lastPosition,
              count,
              digest.clone(),
              checkpointPosition,
              checkpointDigest,
              signer.kid(),
              signer.sign(claims));
      checkpointPosition = lastPosition;
      checkpointDigest = digest.clone();
      JsonObject payload = c.toPayload();
      JsonObject metadata = new JsonObject().put("actor", "system:checkpointer");
      UUID eventId = UUID.randomUUID();
      long version = ++checkpoints.version;
      byte[] prev = checkpoints.hash;
      byte[] hash =
          EventHash.of(
              prev, Checkpoint.STREAM, version, eventId, Checkpoint.TYPE, at, payload, metadata);
      checkpoints.hash = hash;
      checkpointsWritten++;
      StringBuilder sb = new StringBuilder(1024);
      sb.append(eventId)
          .append('\t')
          .append(Checkpoint.STREAM)
          .append('\t')
          .append(version)
          .append('\t')
          .append(Checkpoint.TYPE)
          .append('\t');
      copyText(sb, payload.encode()).append('\t');
      copyText(sb, metadata.encode()).append('\t');
      sb.append(at)
          .append('\t')
          .append("\\\\x")
          .append(HEX.formatHex(prev))
          .append('\t')
          .append("\\\\x")
          .append(HEX.formatHex(hash))
          .append('\n');
      return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * What the ledger already holds: the running digest, the last checkpoint and the checkpoints
   * stream's head.
   */
  record Ledger(
      long count,
      byte[] digest,
      GlobalPosition last,
      GlobalPosition checkpointPosition,
      byte[] checkpointDigest,
      long checkpointsVersion,
      byte[] checkpointsHash) {}

  static Ledger existing(EventStore store) throws Exception {
    MessageDigest md = EventHash.sha256();
    byte[] digest = Checkpoint.genesis();
    long count = 0;
    GlobalPosition at = GlobalPosition.START;
    GlobalPosition cp = GlobalPosition.START;
    byte[] cpDigest = Checkpoint.genesis();
    long cpVersion = 0;
    byte[] cpHash = EventHash.genesis();
    while (true) {
      List<RecordedEvent> page = await(store.readAll(at, 5000));
      for (RecordedEvent e : page) {
        digest = Checkpoint.next(md, digest, e.hash());
        count++;
        at = e.commitOrder();
        if (Checkpoint.isCheckpoint(e)) {
          Checkpoint c = Checkpoint.fromPayload(e.payload());
          cp = c.position();
          cpDigest = c.digest();
          cpVersion = e.version();
          cpHash = e.hash();
        }
      }
      if (page.size() < 5000) {
        return new Ledger(count, digest, at, cp, cpDigest, cpVersion, cpHash);
      }
    }
  }

  /**
   * Drops the unique constraints whose keys are random (event ids, stream ids): inserting millions
   * of rows into them one by one is what makes a bulk load slow. Returns the statements that put
   * them back under the same names (checking uniqueness again), run after the load.
   */
  static List<String> dropRandomKeyIndexes(PgSettings s) throws Exception {
    List<String> recreate = new ArrayList<>();
    try (Connection conn = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
        Statement st = conn.createStatement()) {
      String[][] constraints = {
        {"events", "events_event_id_key", "UNIQUE (event_id)"},
        {"events", "events_stream_version", "UNIQUE (stream_id, version)"},
        {"streams", "streams_pkey", "PRIMARY KEY (stream_id)"}
      };
      for (String[] c : constraints) {
        st.execute("ALTER TABLE " + c[0] + " DROP CONSTRAINT " + c[1]);
        recreate.add("ALTER TABLE " + c[0] + " ADD CONSTRAINT " + c[1] + " " + c[2]);
      }
    }
    return recreate;
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println(
          "usage: LedgerGenerator EVENTS [seed]   (GRANTRY_DATA_DIR: the server's data directory)");
      System.exit(2);
    }
    long target = Long.parseLong(args[0].replace("_", ""));
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
    Vertx vertx = Vertx.vertx();
    GrantryConfig config = await(ConfigLoader.load(vertx, System.getenv()));
    Database db = Database.open(config.database());
    try {
      PgSettings s = db.settings();
      Migrations.apply(s.jdbcUrl(), s.user(), s.password());
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(2))
              .connectingTo(s.connectOptions())
              .using(vertx)
              .build();
      EventStore store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
      InlineProjections.register(store);
      ServerSecrets secrets = ServerSecrets.resolve(config);
      KeyService keys =
          new KeyService(vertx, store, new KeyEncryption(secrets.kek()), Clock.systemUTC());
      await(keys.start());
      keys.stop();
      CheckpointSigner signer = LedgerCheckpoints.signer(keys.signer(SigningAlgorithm.ES256));
      Ledger existing = existing(store);
      System.err.printf(
          "existing ledger: %,d events, last checkpoint %s%n",
          existing.count(), existing.checkpointPosition());
      String passwordHash = new PasswordHasher().hash("benchmark-password-" + seed);
      Instant start = Instant.now().minusSeconds(60).minusMillis((long) (target / RATE * 1000));
      LedgerGenerator gen =
          new LedgerGenerator(seed, start, passwordHash, new ClientSecrets(secrets.pepper()));
      BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(4);
      Thread producer =
          new Thread(
              () -> {
                try {
                  gen.run(target, queue);
                } catch (Throwable e) {
                  queue.clear();
                  queue.offer(new Chunk(List.of(), List.of(), true, e));
                }
              },
              "ledger-generator");
      producer.start();
      long t0 = System.nanoTime();
      long lastReport = t0;
      List<String> recreate = dropRandomKeyIndexes(s);
      try (Connection conn = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password())) {
        try (Statement st = conn.createStatement()) {
          // Losing the last chunks to a crash only means generating again.
          st.execute("SET synchronous_commit = off");
        }
        Writer w = new Writer(conn, signer, existing);
        long waited = 0;
        while (true) {
          long w0 = System.nanoTime();
          Chunk c = queue.take();
          waited += System.nanoTime() - w0;
          if (c.failure() != null) {
            throw new IllegalStateException("the generator failed", c.failure());
          }
          w.write(c);
          long now = System.nanoTime();
          if (now - lastReport > 5_000_000_000L || c.last()) {
            lastReport = now;
            double secs = (now - t0) / 1e9;
            System.err.printf(
                "generated %,d events in %.1f s (%,.0f events/s), %d checkpoints; writer waited %.1f s%n",
                w.written, secs, w.written / secs, w.checkpointsWritten, waited / 1e9);
          }
          if (c.last()) {
            break;
          }
        }
      }
      producer.join();
      System.err.println("event types: " + new TreeMap<>(gen.typeCounts));
      try (Connection conn = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
          Statement st = conn.createStatement()) {
        long t1 = System.nanoTime();
        st.execute("SET maintenance_work_mem = '512MB'");
        for (String sql : recreate) {
          st.execute(sql);
        }
        System.err.printf(
            "unique keys checked and indexes rebuilt in %.1f s%n", (System.nanoTime() - t1) / 1e9);
        st.execute("ANALYZE events");
        st.execute("ANALYZE streams");
      }
      await(pool.close());
    } finally {
      db.close();
      await(vertx.close());
    }
  }
}
