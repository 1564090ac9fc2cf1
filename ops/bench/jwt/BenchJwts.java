import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Signed JWTs for the benchmark kit (ops/bench/run.sh), made ahead of a run with the JDK only (run
 * as a source file: {@code java -cp grantry.jar ops/bench/jwt/BenchJwts.java ...}; with the jar on
 * the class path it signs with the server's own provider, else with the JDK's):
 *
 * <pre>
 *   key  OUT.json                          a new P-256 key: {"jwk": public JWK, "pkcs8": private key}
 *   assertions KEY.json CLIENT AUD N OUT   N private_key_jwt assertions (ES256, kid "bench", unique
 *                                          jti, exp 280 s ahead), one per line
 *   dpop KEY.json HTU N OUT                N DPoP proofs (RFC 9449) of POST HTU with the key in the
 *                                          header, unique jti, iat now, one per line
 * </pre>
 */
public final class BenchJwts {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  public static void main(String[] args) throws Exception {
    // The server's own provider when the jar is on the class path (-cp grantry.jar): the JDK's
    // ECDSA signs ten times slower.
    try {
      Class<?> accp = Class.forName("com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider");
      java.security.Security.insertProviderAt(
          (java.security.Provider) accp.getField("INSTANCE").get(null), 1);
    } catch (ReflectiveOperationException | LinkageError e) {
      // the JDK's
    }
    if (args.length == 2 && args[0].equals("key")) {
      key(Path.of(args[1]));
    } else if (args.length == 6 && args[0].equals("assertions")) {
      assertions(Path.of(args[1]), args[2], args[3], Integer.parseInt(args[4]), Path.of(args[5]));
    } else if (args.length == 5 && args[0].equals("dpop")) {
      dpop(Path.of(args[1]), args[2], Integer.parseInt(args[3]), Path.of(args[4]));
    } else {
      System.err.println(
          "usage: key OUT.json | assertions KEY.json CLIENT AUD N OUT | dpop KEY.json HTU N OUT");
      System.exit(2);
    }
  }

  static void key(Path out) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) kp.getPublic();
    String jwk =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"bench\",\"alg\":\"ES256\",\"x\":\""
            + B64.encodeToString(unsigned(pub.getW().getAffineX().toByteArray()))
            + "\",\"y\":\""
            + B64.encodeToString(unsigned(pub.getW().getAffineY().toByteArray()))
            + "\"}";
    Files.writeString(
        out,
        "{\"jwk\":"
            + jwk
            + ",\"pkcs8\":\""
            + Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded())
            + "\"}\n");
  }

  static PrivateKey privateKey(String keyText) throws Exception {
    String pkcs8 = keyText.replaceAll("(?s).*\"pkcs8\":\"([^\"]+)\".*", "$1");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pkcs8.trim())));
  }

  static void dpop(Path keyFile, String htu, int n, Path out) throws Exception {
    String text = Files.readString(keyFile);
    String jwk = text.replaceAll("(?s).*\"jwk\":(\\{[^}]*\\}).*", "$1").replace(",\"kid\":\"bench\"", "").replace(",\"alg\":\"ES256\"", "");
    PrivateKey key = privateKey(text);
    Signature s = Signature.getInstance("SHA256withECDSA");
    String header =
        B64.encodeToString(
            ("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":" + jwk + "}")
                .getBytes(StandardCharsets.UTF_8));
    long now = System.currentTimeMillis() / 1000;
    SecureRandom random = new SecureRandom();
    StringBuilder lines = new StringBuilder(n * 400);
    byte[] jti = new byte[16];
    for (int i = 0; i < n; i++) {
      random.nextBytes(jti);
      String payload =
          "{\"jti\":\""
              + B64.encodeToString(jti)
              + "\",\"htm\":\"POST\",\"htu\":\""
              + htu
              + "\",\"iat\":"
              + now
              + "}";
      String input = header + "." + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      lines.append(input).append('.').append(B64.encodeToString(raw(s.sign()))).append('\n');
    }
    Files.writeString(out, lines);
  }

  static void assertions(Path keyFile, String client, String aud, int n, Path out)
      throws Exception {
    PrivateKey key = privateKey(Files.readString(keyFile));
    Signature s = Signature.getInstance("SHA256withECDSA");
    String header =
        B64.encodeToString(
            "{\"alg\":\"ES256\",\"kid\":\"bench\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    long now = System.currentTimeMillis() / 1000;
    SecureRandom random = new SecureRandom();
    StringBuilder lines = new StringBuilder(n * 400);
    byte[] jti = new byte[16];
    for (int i = 0; i < n; i++) {
      random.nextBytes(jti);
      String payload =
          "{\"iss\":\""
              + client
              + "\",\"sub\":\""
              + client
              + "\",\"aud\":\""
              + aud
              + "\",\"iat\":"
              + now
              + ",\"exp\":"
              + (now + 280)
              + ",\"jti\":\""
              + B64.encodeToString(jti)
              + "\"}";
      String input = header + "." + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      lines.append(input).append('.').append(B64.encodeToString(raw(s.sign()))).append('\n');
    }
    Files.writeString(out, lines);
  }

  /** 32 bytes, big-endian, from a BigInteger's two's-complement bytes. */
  static byte[] unsigned(byte[] b) {
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }

  /** A DER ECDSA signature as JWS wants it: r and s, 32 bytes each (RFC 7518 §3.4). */
  static byte[] raw(byte[] der) {
    int offset = der[1] == (byte) 0x81 ? 3 : 2;
    int rLen = der[offset + 1];
    byte[] r = Arrays.copyOfRange(der, offset + 2, offset + 2 + rLen);
    int sOffset = offset + 2 + rLen;
    int sLen = der[sOffset + 1];
    byte[] sv = Arrays.copyOfRange(der, sOffset + 2, sOffset + 2 + sLen);
    byte[] out = new byte[64];
    byte[] r32 = unsigned(r);
    byte[] s32 = unsigned(sv);
    System.arraycopy(r32, 0, out, 0, 32);
    System.arraycopy(s32, 0, out, 32, 32);
    return out;
  }
}
