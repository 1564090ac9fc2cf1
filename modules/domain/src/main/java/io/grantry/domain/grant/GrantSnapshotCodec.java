package io.grantry.domain.grant;

import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.Scopes;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * A grant state to and from the bytes of a snapshot: what a grant's stream folds to at some
 * version, kept so that a grant not in memory is loaded from its snapshot and the few events after
 * it instead of its whole history.
 *
 * <p>A snapshot is derived data, never a fact: {@link #decode} answers empty for bytes of another
 * {@link #FORMAT} (or bytes it cannot read), and the caller then folds the whole stream. Change
 * {@link #FORMAT} whenever this encoding or {@link GrantDecider#evolve} changes what a state holds:
 * snapshots written before are then ignored and replaced as grants are used again.
 *
 * <p>Compact binary rather than JSON: reading the snapshot must cost less than reading the events
 * it replaces. The embedded events (the code's facts, the latest rotation) are their ledger JSON.
 * Snapshots of the {@link #PREVIOUS} format are read too (their list of access tokens, which the
 * state no longer keeps, skipped), so that grants keep loading from their snapshots across an
 * upgrade.
 */
public final class GrantSnapshotCodec {
  /**
   * The encoding's version, the first byte of every snapshot. 2: an active grant's token exchange.
   * 3: a refresh token's DPoP binding (RFC 9449). 4: the device grant's states, and an active
   * grant's device authorization. 5: no access tokens (an active grant's state no longer keeps
   * them; format 4 listed every unexpired one, hundreds for a grant rotated often).
   */
  public static final int FORMAT = 5;

  /** The format before {@link #FORMAT}, still read: format 4, with a list of access tokens. */
  static final int PREVIOUS = 4;

  private static final int CODE_ISSUED = 1;
  private static final int ACTIVE = 2;
  private static final int REVOKED = 3;
  private static final int DEVICE_REQUESTED = 4;
  private static final int DEVICE_APPROVED = 5;
  private static final int DEVICE_DENIED = 6;

  private GrantSnapshotCodec() {}

  /**
   * The bytes of {@code state}.
   *
   * @throws IllegalArgumentException for the empty state (nothing to keep)
   */
  public static byte[] encode(GrantState state) {
    return encode(state, FORMAT, 0);
  }

  /**
   * The bytes of {@code state} in {@code format}; for {@link #PREVIOUS}, with {@code tokens}
   * made-up access tokens in its list (what the tests of reading that format need).
   */
  static byte[] encode(GrantState state, int format, int tokens) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(format);
      write(out, state, format == PREVIOUS ? tokens : -1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * The state of {@code bytes}; empty if they are of another format or cannot be read (the caller
   * then folds the whole stream).
   */
  public static Optional<GrantState> decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0 || (bytes[0] != FORMAT && bytes[0] != PREVIOUS)) {
      return Optional.empty();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      GrantState state = read(in, in.readByte() == PREVIOUS);
      return in.available() == 0 ? Optional.of(state) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** {@code legacyTokens}: the length of format 4's list of access tokens, or -1 for none. */
  private static void write(DataOutputStream out, GrantState state, int legacyTokens)
      throws IOException {
    if (state instanceof GrantState.CodeIssued c) {
      out.writeByte(CODE_ISSUED);
      event(out, c.code());
    } else if (state instanceof GrantState.Active a) {
      out.writeByte(ACTIVE);
      active(out, a, legacyTokens);
    } else if (state instanceof GrantState.DeviceRequested d) {
      out.writeByte(DEVICE_REQUESTED);
      event(out, d.request());
    } else if (state instanceof GrantState.DeviceApproved d) {
      out.writeByte(DEVICE_APPROVED);
      event(out, d.request());
      event(out, d.approval());
    } else if (state instanceof GrantState.DeviceDenied d) {
      out.writeByte(DEVICE_DENIED);
      event(out, d.request());
      event(out, d.denial());
    } else if (state instanceof GrantState.Revoked r) {
      out.writeByte(REVOKED);
      write(out, r.before(), legacyTokens);
      out.writeUTF(r.reason().wire());
      out.writeUTF(r.actor());
      instant(out, r.revokedAt());
    } else {
      throw new IllegalArgumentException("no snapshot of " + state);
    }
  }

  /** {@code legacy}: format 4, whose active grants list their access tokens. */
  private static GrantState read(DataInputStream in, boolean legacy) throws IOException {
    int tag = in.readByte();
    switch (tag) {
      case CODE_ISSUED:
        return new GrantState.CodeIssued((AuthorizationCodeIssued) event(in));
      case ACTIVE:
        return active(in, legacy);
      case DEVICE_REQUESTED:
        return new GrantState.DeviceRequested((DeviceAuthorizationRequested) event(in));
      case DEVICE_APPROVED:
        return new GrantState.DeviceApproved(
            (DeviceAuthorizationRequested) event(in), (DeviceAuthorizationApproved) event(in));
      case DEVICE_DENIED:
        return new GrantState.DeviceDenied(
            (DeviceAuthorizationRequested) event(in), (DeviceAuthorizationDenied) event(in));
      case REVOKED:
        {
          GrantState before = read(in, legacy);
          RevocationReason reason =
              RevocationReason.fromWire(in.readUTF())
                  .orElseThrow(() -> new IOException("unknown revocation reason"));
          return new GrantState.Revoked(before, reason, in.readUTF(), instant(in));
        }
      default:
        throw new IOException("unknown state tag " + tag);
    }
  }

  private static void active(DataOutputStream out, GrantState.Active a, int legacyTokens)
      throws IOException {
    out.writeUTF(a.grantId());
    out.writeUTF(a.kind().wire());
    out.writeUTF(a.clientId());
    optionalString(out, a.userId());
    out.writeUTF(a.scopes().value());
    out.writeBoolean(a.authorization().isPresent());
    if (a.authorization().isPresent()) {
      event(out, a.authorization().get());
    }
    out.writeBoolean(a.refreshToken().isPresent());
    if (a.refreshToken().isPresent()) {
      out.writeUTF(a.refreshToken().get().hash());
      instant(out, a.refreshToken().get().expiresAt());
      optionalString(out, a.refreshToken().get().jkt());
    }
    out.writeBoolean(a.lastRotation().isPresent());
    if (a.lastRotation().isPresent()) {
      event(out, a.lastRotation().get());
    }
    if (legacyTokens >= 0) {
      out.writeInt(legacyTokens);
      for (int i = 0; i < legacyTokens; i++) {
        out.writeUTF(a.grantId() + ".t" + i);
        out.writeBoolean(i % 2 == 0);
        if (i % 2 != 0) {
          out.writeUTF("openid");
        }
        instant(out, a.grantedAt());
        out.writeBoolean(i % 3 == 0);
      }
    }
    out.writeBoolean(a.expiresAt().isPresent());
    if (a.expiresAt().isPresent()) {
      instant(out, a.expiresAt().get());
    }
    instant(out, a.grantedAt());
    out.writeBoolean(a.exchange().isPresent());
    if (a.exchange().isPresent()) {
      event(out, a.exchange().get());
    }
    out.writeBoolean(a.device().isPresent());
    if (a.device().isPresent()) {
      event(out, a.device().get().request());
      event(out, a.device().get().approval());
    }
  }

  private static GrantState.Active active(DataInputStream in, boolean legacy) throws IOException {
    String grantId = in.readUTF();
    String kindWire = in.readUTF();
    GrantType kind =
        GrantType.fromWire(kindWire).orElseThrow(() -> new IOException("unknown grant type"));
    String clientId = in.readUTF();
    Optional<String> userId = optionalString(in);
    Scopes scopes = Scopes.parse(in.readUTF());
    Optional<AuthorizationCodeIssued> authorization =
        in.readBoolean() ? Optional.of((AuthorizationCodeIssued) event(in)) : Optional.empty();
    Optional<GrantState.RefreshToken> refresh =
        in.readBoolean()
            ? Optional.of(
                new GrantState.RefreshToken(in.readUTF(), instant(in), optionalString(in)))
            : Optional.empty();
    Optional<RefreshTokenRotated> lastRotation =
        in.readBoolean() ? Optional.of((RefreshTokenRotated) event(in)) : Optional.empty();
    if (legacy) {
      skipAccessTokens(in);
    }
    Optional<Instant> expiresAt = in.readBoolean() ? Optional.of(instant(in)) : Optional.empty();
    Instant grantedAt = instant(in);
    Optional<TokenExchanged> exchange =
        in.readBoolean() ? Optional.of((TokenExchanged) event(in)) : Optional.empty();
    Optional<GrantState.DeviceAuthorization> device =
        in.readBoolean()
            ? Optional.of(
                new GrantState.DeviceAuthorization(
                    (DeviceAuthorizationRequested) event(in),
                    (DeviceAuthorizationApproved) event(in)))
            : Optional.empty();
    return new GrantState.Active(
        grantId,
        kind,
        clientId,
        userId,
        scopes,
        authorization,
        refresh,
        lastRotation,
        expiresAt,
        grantedAt,
        exchange,
        device);
  }

  /** Format 4's list of access tokens: jti, own scopes or a scope string, expiry, revoked. */
  private static void skipAccessTokens(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("negative count");
    }
    for (int i = 0; i < n; i++) {
      in.readUTF();
      if (!in.readBoolean()) {
        in.readUTF();
      }
      instant(in);
      in.readBoolean();
    }
  }

  private static void event(DataOutputStream out, GrantEvent e) throws IOException {
    out.writeUTF(e.type());
    byte[] json = GrantEventCodec.INSTANCE.toJson(e).encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(json.length);
    out.write(json);
  }

  private static GrantEvent event(DataInputStream in) throws IOException {
    String type = in.readUTF();
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("bad length");
    }
    byte[] json = in.readNBytes(n);
    return GrantEventCodec.INSTANCE.fromJson(
        type, new JsonObject(new String(json, StandardCharsets.UTF_8)));
  }

  private static void optionalString(DataOutputStream out, Optional<String> s) throws IOException {
    out.writeBoolean(s.isPresent());
    if (s.isPresent()) {
      out.writeUTF(s.get());
    }
  }

  private static Optional<String> optionalString(DataInputStream in) throws IOException {
    return in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
  }

  private static void instant(DataOutputStream out, Instant t) throws IOException {
    out.writeLong(t.getEpochSecond());
    out.writeInt(t.getNano());
  }

  private static Instant instant(DataInputStream in) throws IOException {
    return Instant.ofEpochSecond(in.readLong(), in.readInt());
  }
}
