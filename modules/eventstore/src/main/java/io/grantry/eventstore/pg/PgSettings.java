package io.grantry.eventstore.pg;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where and how to connect to PostgreSQL, parsed from a libpq-style URL.
 *
 * <p>Accepted forms: {@code postgresql://user:password@host:port/database?param=value&...}, the
 * same with {@code postgres://} or {@code jdbc:postgresql://}. User and password may also be given
 * as {@code user=} / {@code password=} query parameters (the userinfo part wins). Components are
 * percent-decoded ({@code +} is literal). The port defaults to 5432 and the database to the user
 * name (as in libpq). The last {@code @} ends the credentials, so a password may contain unencoded
 * {@code @ / ? :}; an {@code @} after the host must be encoded. Other query parameters are kept and
 * passed through to the JDBC URL; for Vert.x only {@code sslmode} (with {@code sslrootcert}) and
 * {@code application_name} are applied.
 *
 * <p>The password never appears in {@link #toString()} nor in any exception message.
 *
 * @param password {@code null} when none was given
 * @param parameters extra query parameters, in URL order (never containing user or password)
 */
public record PgSettings(
    String host,
    int port,
    String database,
    String user,
    String password,
    Map<String, String> parameters) {

  public static final int DEFAULT_PORT = 5432;
  private static final String MASK = "****";
  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&]password=)[^&]*");

  public PgSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("PostgreSQL host is missing");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("PostgreSQL port must be 1..65535, got " + port);
    }
    if (database == null || database.isEmpty()) {
      throw new IllegalArgumentException("PostgreSQL database name is missing");
    }
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException("PostgreSQL user name is missing");
    }
    parameters =
        parameters == null
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    if (parameters.containsKey("user") || parameters.containsKey("password")) {
      throw new IllegalArgumentException("user and password are record components, not parameters");
    }
  }

  /**
   * Parses a {@code postgresql://}, {@code postgres://} or {@code jdbc:postgresql://} URL.
   *
   * @throws IllegalArgumentException if the URL is malformed; the message shows the URL with the
   *     password masked
   */
  public static PgSettings parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("PostgreSQL URL is empty");
    }
    String s = url.trim();
    String lower = s.toLowerCase(Locale.ROOT);
    String rest = null;
    for (String scheme : new String[] {"jdbc:postgresql://", "postgresql://", "postgres://"}) {
      if (lower.startsWith(scheme)) {
        rest = s.substring(scheme.length());
        break;
      }
    }
    if (rest == null) {
      // Deliberately not echoed: without a recognisable structure we cannot tell where a password
      // would be.
      throw new IllegalArgumentException(
          "Not a PostgreSQL URL: expected postgresql://user:password@host:port/database"
              + " (postgres:// and jdbc:postgresql:// are accepted too)");
    }
    try {
      return parseRest(rest);
    } catch (Malformed e) {
      throw new IllegalArgumentException(
          "Malformed PostgreSQL URL (" + e.getMessage() + "): " + redact(s), null);
    }
  }

  private static PgSettings parseRest(String rest) throws Malformed {
    String userInfo = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
    }
    String user = null;
    String password = null;
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo, "user name");
      password = colon >= 0 ? decode(userInfo.substring(colon + 1), "password") : null;
    }

    int hostEnd = indexOfAny(rest, "/?");
    String hostPort = rest.substring(0, hostEnd);
    String afterHost = rest.substring(hostEnd);
    String host;
    int port = DEFAULT_PORT;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new Malformed("unterminated IPv6 address");
      }
      host = hostPort.substring(1, close);
      String tail = hostPort.substring(close + 1);
      if (!tail.isEmpty()) {
        if (!tail.startsWith(":")) {
          throw new Malformed("unexpected text after IPv6 address");
        }
        port = parsePort(tail.substring(1));
      }
    } else {
      if (hostPort.contains(",")) {
        throw new Malformed("multiple hosts are not supported");
      }
      int colon = hostPort.lastIndexOf(':');
      host = decode(colon >= 0 ? hostPort.substring(0, colon) : hostPort, "host");
      if (colon >= 0) {
        port = parsePort(hostPort.substring(colon + 1));
      }
    }
    if (host.isBlank()) {
      throw new Malformed("missing host");
    }

    String path = afterHost;
    String query = "";
    int q = afterHost.indexOf('?');
    if (q >= 0) {
      path = afterHost.substring(0, q);
      query = afterHost.substring(q + 1);
    }
    String database =
        path.isEmpty() || path.equals("/") ? null : decode(path.substring(1), "database name");
    if (database != null && database.contains("/")) {
      throw new Malformed("database name contains '/'");
    }

    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq >= 0 ? pair.substring(0, eq) : pair, "parameter name");
      String value = eq >= 0 ? decode(pair.substring(eq + 1), "parameter " + key) : "";
      if (key.isEmpty()) {
        throw new Malformed("empty parameter name");
      }
      switch (key) {
        case "user" -> user = user == null || user.isEmpty() ? value : user;
        case "password" -> password = password == null ? value : password;
        case "dbname" -> database = database == null ? value : database;
        default -> params.put(key, value);
      }
    }
    String sslMode = params.get("sslmode");
    if (sslMode != null && !SSL_MODES.contains(sslMode)) {
      throw new Malformed("unknown sslmode '" + sslMode + "', expected one of " + SSL_MODES);
    }
    if (user == null || user.isEmpty()) {
      throw new Malformed("missing user name");
    }
    if (database == null || database.isEmpty()) {
      database = user;
    }
    return new PgSettings(host, port, database, user, password, params);
  }

  private static int parsePort(String text) throws Malformed {
    if (text.isEmpty()) {
      return DEFAULT_PORT;
    }
    if (!text.chars().allMatch(c -> c >= '0' && c <= '9') || text.length() > 5) {
      throw new Malformed(
          "the port is not a number"); // value not echoed: without '@' it may be a password
    }
    int port = Integer.parseInt(text);
    if (port < 1 || port > 65535) {
      throw new Malformed("the port is out of range 1..65535");
    }
    return port;
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }

  /**
   * Percent-decoding as in RFC 3986 ({@code +} stays literal); {@code what} names the part, never
   * its value.
   */
  private static String decode(String s, String what) throws Malformed {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); ) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new Malformed("invalid percent-encoding in the " + what);
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new Malformed("invalid percent-encoding in the " + what);
        }
        out.write(hi << 4 | lo);
        i += 3;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          bytes = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.writeBytes(bytes);
        i++;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Malformed("percent-encoded " + what + " is not valid UTF-8");
    }
  }

  /**
   * Masks everything that could be a password: from the first ':' of the credentials to the last
   * '@', and any {@code password=} parameter. Over-masks rather than leaks.
   */
  static String redact(String url) {
    int schemeEnd = url.indexOf("://");
    String result = url;
    if (schemeEnd >= 0) {
      int start = schemeEnd + 3;
      int at = url.lastIndexOf('@');
      // Without '@', "user:secret/db" would parse as host:port, so mask the port-like part as well,
      // unless it is a port number: "host:5432/db" without a user is not a password to hide.
      int end = at >= start ? at : start + indexOfAny(url.substring(start), "/?");
      int colon = url.indexOf(':', start);
      if (colon >= 0
          && colon < end
          && !(at < start && url.substring(colon + 1, end).matches("[0-9]{1,5}"))) {
        result = url.substring(0, colon + 1) + MASK + url.substring(end);
      }
    }
    return PASSWORD_PARAM.matcher(result).replaceAll("$1" + MASK);
  }

  /** The password, if one was given. */
  public Optional<String> passwordIfAny() {
    return Optional.ofNullable(password);
  }

  /** A copy pointing at another database on the same server. */
  public PgSettings withDatabase(String otherDatabase) {
    return new PgSettings(host, port, otherDatabase, user, password, parameters);
  }

  /**
   * {@code jdbc:postgresql://host:port/database?params}, without credentials: pass {@link #user()}
   * and {@link #password()} separately (e.g. to {@link Migrations#apply}).
   */
  public String jdbcUrl() {
    StringBuilder sb =
        new StringBuilder("jdbc:postgresql://")
            .append(hostForUrl())
            .append(':')
            .append(port)
            .append('/')
            .append(encode(database));
    appendParameters(sb);
    return sb.toString();
  }

  /**
   * Vert.x connect options: host, port, database, user, password (empty when none), plus {@code
   * sslmode} with {@code sslrootcert} and {@code application_name}. A fresh object each call.
   */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options =
        new PgConnectOptions()
            .setHost(host)
            .setPort(port)
            .setDatabase(database)
            .setUser(user)
            .setPassword(
                password != null
                    ? password
                    : ""); // Vert.x rejects null; "" = none (default is "pass")
    String sslMode = parameters.get("sslmode");
    if (sslMode != null) {
      options.setSslMode(SslMode.of(sslMode)).setSslOptions(sslOptions(SslMode.of(sslMode)));
    }
    String applicationName = parameters.get("application_name");
    if (applicationName != null) {
      options.addProperty("application_name", applicationName);
    }
    return options;
  }

  /**
   * TLS as libpq and the JDBC driver (the migrations') understand {@code sslmode}, so both drivers
   * treat one URL alike. {@code verify-ca} and {@code verify-full} trust the CA certificates (PEM)
   * of {@code sslrootcert}, by default {@code ~/.postgresql/root.crt} as for libpq and pgJDBC;
   * {@code verify-full} also checks that the server's certificate names the URL's host. {@code
   * require}, {@code prefer} and {@code allow} encrypt without checking the certificate, as libpq
   * and pgJDBC do (a man in the middle can still read): Vert.x alone would check it against the
   * JVM's default trust store, so the pool would refuse the server the migrations had just used.
   * Without these options Vert.x refuses verify-ca and verify-full outright ("Trust options must be
   * specified").
   */
  private ClientSSLOptions sslOptions(SslMode mode) {
    ClientSSLOptions ssl = new ClientSSLOptions().setHostnameVerificationAlgorithm("");
    switch (mode) {
      case VERIFY_FULL ->
          ssl.setTrustOptions(rootCertificates()).setHostnameVerificationAlgorithm("HTTPS");
      case VERIFY_CA -> ssl.setTrustOptions(rootCertificates());
      case REQUIRE, PREFER, ALLOW -> ssl.setTrustAll(true);
      case DISABLE -> {}
    }
    return ssl;
  }

  private PemTrustOptions rootCertificates() {
    return new PemTrustOptions().addCertPath(rootCertificateFile());
  }

  /** {@code sslrootcert}, or where libpq and pgJDBC look without it. */
  private String rootCertificateFile() {
    String file = parameters.get("sslrootcert");
    return file != null
        ? file
        : Path.of(System.getProperty("user.home"), ".postgresql", "root.crt").toString();
  }

  /**
   * What an operator needs to read when connecting with these settings failed: the driver's own
   * words (the deepest cause's message, on one line), and for a TLS failure what it means here.
   * Never the password: no driver message holds it.
   */
  public String describeFailure(Throwable failure) {
    Throwable root = failure;
    boolean certificatePath = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      certificatePath |=
          t instanceof java.security.cert.CertPathBuilderException
              || t instanceof java.security.cert.CertPathValidatorException;
      root = t;
    }
    String message =
        String.valueOf(root.getMessage() != null ? root.getMessage() : root.getClass().getName())
            .replaceAll("[\\r\\n]+", " ");
    String mode = parameters.getOrDefault("sslmode", "prefer");
    if (certificatePath) {
      return "its TLS certificate is not signed by a CA of "
          + (mode.startsWith("verify-") ? rootCertificateFile() : "the JVM's trust store")
          + " (sslmode="
          + mode
          + "): "
          + message;
    }
    if (message.contains("could not be verified by hostnameverifier")
        || message.contains("No subject alternative")) {
      return "its TLS certificate does not name the host "
          + host
          + " of the URL (sslmode="
          + mode
          + " checks it): "
          + message;
    }
    if (message.contains("no pg_hba.conf entry") && message.contains("no encryption")) {
      return message
          + " (the server lets this connection in only over TLS: set sslmode=verify-full and"
          + " sslrootcert in the database URL)";
    }
    return message;
  }

  /** The URL with the password masked. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("postgresql://").append(encode(user));
    if (password != null) {
      sb.append(':').append(MASK);
    }
    sb.append('@')
        .append(hostForUrl())
        .append(':')
        .append(port)
        .append('/')
        .append(encode(database));
    appendParameters(sb);
    return sb.toString();
  }

  private String hostForUrl() {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private void appendParameters(StringBuilder sb) {
    char sep = '?';
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      sb.append(sep).append(encode(e.getKey())).append('=').append(encode(e.getValue()));
      sep = '&';
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(Objects.requireNonNull(s), StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Internal parse failure; its message never contains credential text. */
  private static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }
}
