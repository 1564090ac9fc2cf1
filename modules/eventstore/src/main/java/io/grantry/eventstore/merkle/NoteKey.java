package io.grantry.eventstore.merkle;

import io.grantry.eventstore.EventHash;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * An Ed25519 key of a signed note (C2SP {@code signed-note}): the log's own key (signature type
 * {@value #ED25519}, the signature over the note text) or a witness's (type {@value #COSIGNATURE},
 * C2SP {@code tlog-cosignature} v1: a timestamp and the signature over {@code cosignature/v1},
 * {@code time <t>} and the note text). Its public half travels as a verifier key, {@code <name>+<8
 * hex digits of key ID>+<base64(type || 32-byte public key)>}, where the key ID is the first four
 * bytes of {@code SHA-256(name || "\n" || type || public key)}.
 *
 * <p>Ed25519 from the JDK ({@code Signature.getInstance("Ed25519")}, JDK 15+).
 */
public final class NoteKey {
  public static final byte ED25519 = 0x01;
  public static final byte COSIGNATURE = 0x04;
  private static final int KEY_LENGTH = 32;
  private static final int SIGNATURE_LENGTH = 64;

  /** The X.509 SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410): then the 32 bytes. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private final String name;
  private final byte type;
  private final byte[] publicKey;
  private final int keyId;
  private final PublicKey jcaPublic;
  private final PrivateKey privateKey;

  private NoteKey(String name, byte type, byte[] publicKey, PrivateKey privateKey) {
    checkName(name);
    if (type != ED25519 && type != COSIGNATURE) {
      throw new IllegalArgumentException("only Ed25519 note keys (types 1 and 4) are supported");
    }
    if (publicKey.length != KEY_LENGTH) {
      throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
    }
    this.name = name;
    this.type = type;
    this.publicKey = publicKey.clone();
    this.keyId = keyId(name, type, publicKey);
    try {
      byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_LENGTH);
      System.arraycopy(publicKey, 0, spki, SPKI_PREFIX.length, KEY_LENGTH);
      this.jcaPublic =
          KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key");
    }
    this.privateKey = privateKey;
  }

  /** Key names are non-empty and hold neither Unicode spaces nor plus signs. */
  static void checkName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a key name or origin is not empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '+' || Character.isWhitespace(c) || Character.isSpaceChar(c) || c < 0x20) {
        throw new IllegalArgumentException(
            "a key name or origin holds no spaces, control characters or '+': '" + name + "'");
      }
    }
  }

  /** A fresh key pair. */
  public static NoteKey generate(String name, byte type) {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = pair.getPublic().getEncoded();
      return new NoteKey(
          name,
          type,
          Arrays.copyOfRange(spki, spki.length - KEY_LENGTH, spki.length),
          pair.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no Ed25519", e);
    }
  }

  /** A signing key from its PKCS#8 private key and its verifier key. */
  public static NoteKey signing(String verifierKey, byte[] pkcs8) {
    NoteKey v = verifier(verifierKey);
    try {
      PrivateKey k =
          KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      NoteKey s = new NoteKey(v.name, v.type, v.publicKey, k);
      // A private key that is not the verifier key's half would sign notes nobody can check.
      String probe = "grantry key check\n";
      if (!s.verifies(s.signLine(probe, 0), probe)) {
        throw new IllegalArgumentException("the private key does not belong to " + verifierKey);
      }
      return s;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a PKCS#8 Ed25519 private key");
    }
  }

  /**
   * Reads a verifier key {@code <name>+<hex key ID>+<base64(type || public key)>}.
   *
   * @throws IllegalArgumentException when malformed, or its key ID does not match
   */
  public static NoteKey verifier(String vkey) {
    String s = vkey.strip();
    int a = s.indexOf('+');
    int b = a < 0 ? -1 : s.indexOf('+', a + 1);
    if (a <= 0 || b < 0) {
      throw new IllegalArgumentException(
          "a verifier key is <name>+<key ID>+<base64 key>, got '" + shorten(s) + "'");
    }
    String name = s.substring(0, a);
    String hex = s.substring(a + 1, b);
    byte[] data;
    try {
      data = Base64.getDecoder().decode(s.substring(b + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a verifier key's key is standard base64");
    }
    if (!hex.matches("[0-9a-f]{8}") || data.length != 1 + KEY_LENGTH) {
      throw new IllegalArgumentException("not an Ed25519 verifier key: '" + shorten(s) + "'");
    }
    NoteKey k = new NoteKey(name, data[0], Arrays.copyOfRange(data, 1, data.length), null);
    if (k.keyId != Integer.parseUnsignedInt(hex, 16)) {
      throw new IllegalArgumentException("the verifier key's ID does not match its key");
    }
    return k;
  }

  private static String shorten(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  static int keyId(String name, byte type, byte[] publicKey) {
    MessageDigest md = EventHash.sha256();
    md.update(name.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
    md.update(type);
    md.update(publicKey);
    return ByteBuffer.wrap(md.digest()).getInt();
  }

  public String name() {
    return name;
  }

  public byte type() {
    return type;
  }

  public int keyId() {
    return keyId;
  }

  public String keyIdHex() {
    return String.format("%08x", keyId);
  }

  public boolean canSign() {
    return privateKey != null;
  }

  /** The PKCS#8 private key, for sealing with the key-encryption key. */
  public byte[] pkcs8() {
    if (privateKey == null) {
      throw new IllegalStateException("a verifier key has no private half");
    }
    return privateKey.getEncoded();
  }

  public String verifierKey() {
    byte[] data = new byte[1 + KEY_LENGTH];
    data[0] = type;
    System.arraycopy(publicKey, 0, data, 1, KEY_LENGTH);
    return name + "+" + keyIdHex() + "+" + Base64.getEncoder().encodeToString(data);
  }

  /** The public key as a JWK (RFC 8037: OKP, Ed25519), its {@code kid} the RFC 7638 thumbprint. */
  public JsonObject publicJwk() {
    String x = Base64.getUrlEncoder().withoutPadding().encodeToString(publicKey);
    String canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
    String kid =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(EventHash.sha256().digest(canonical.getBytes(StandardCharsets.UTF_8)));
    return new JsonObject()
        .put("kty", "OKP")
        .put("crv", "Ed25519")
        .put("x", x)
        .put("kid", kid)
        .put("alg", "EdDSA")
        .put("use", "sig")
        .put("note_verifier_key", verifierKey());
  }

  /** Signs a note's text: with a log key the signature; with a witness key a cosignature now. */
  public SignedNote.Line sign(String text) {
    return signLine(text, System.currentTimeMillis() / 1000);
  }

  /** As {@link #sign}, a cosignature stamped {@code timestamp} (POSIX seconds). */
  public SignedNote.Line signLine(String text, long timestamp) {
    if (privateKey == null) {
      throw new IllegalStateException("a verifier key cannot sign");
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message(text, timestamp));
      byte[] sig = s.sign();
      if (type == COSIGNATURE) {
        sig = ByteBuffer.allocate(8 + sig.length).putLong(timestamp).put(sig).array();
      }
      return new SignedNote.Line(name, keyId, sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with Ed25519", e);
    }
  }

  private byte[] message(String text, long timestamp) {
    String m = type == COSIGNATURE ? "cosignature/v1\ntime " + timestamp + "\n" + text : text;
    return m.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether this key made {@code line} over {@code text} (false for another key's line). */
  public boolean verifies(SignedNote.Line line, String text) {
    if (!matches(line)) {
      return false;
    }
    byte[] sig = line.signature();
    long timestamp = 0;
    if (type == COSIGNATURE) {
      if (sig.length != 8 + SIGNATURE_LENGTH) {
        return false;
      }
      timestamp = ByteBuffer.wrap(sig).getLong();
      if (timestamp < 0) {
        return false;
      }
      sig = Arrays.copyOfRange(sig, 8, sig.length);
    } else if (sig.length != SIGNATURE_LENGTH) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(jcaPublic);
      s.update(message(text, timestamp));
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Whether {@code line} names this key (name and key ID): only then must it verify. */
  public boolean matches(SignedNote.Line line) {
    return line.name().equals(name) && line.keyId() == keyId;
  }

  /** The time a cosignature of this witness key says it was made. */
  public static long timestamp(SignedNote.Line cosignature) {
    return cosignature.signature().length >= 8
        ? ByteBuffer.wrap(cosignature.signature()).getLong()
        : -1;
  }

  /**
   * Opens a note with trusted keys, as C2SP {@code signed-note} says: lines of unknown keys are
   * ignored; a line of a known key that does not verify rejects the note; at least one known key
   * must have signed.
   *
   * @return the trusted keys that signed it
   * @throws IllegalArgumentException when the note is not signed by a trusted key, or a trusted
   *     key's signature is bad
   */
  public static List<NoteKey> open(SignedNote note, List<NoteKey> trusted) {
    List<NoteKey> signedBy = new ArrayList<>();
    for (SignedNote.Line line : note.signatures()) {
      for (NoteKey k : trusted) {
        if (k.matches(line)) {
          if (!k.verifies(line, note.text())) {
            throw new IllegalArgumentException(
                "the signature of " + k.name() + " (key " + k.keyIdHex() + ") does not verify");
          }
          if (!signedBy.contains(k)) {
            signedBy.add(k);
          }
        }
      }
    }
    if (signedBy.isEmpty()) {
      throw new IllegalArgumentException("the note is not signed by a trusted key");
    }
    return signedBy;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteKey k
        && k.type == type
        && k.name.equals(name)
        && Arrays.equals(k.publicKey, publicKey);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + keyId;
  }

  @Override
  public String toString() {
    return verifierKey();
  }
}
