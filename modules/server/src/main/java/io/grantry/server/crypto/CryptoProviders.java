package io.grantry.server.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.NoSuchAlgorithmException;
import java.security.Security;
import java.security.Signature;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a native JCA provider in front of the JDK's when it can. The JDK 17 provider signs ES256 at
 * about 690 tokens/s per core on our machines; Amazon Corretto Crypto Provider (AWS-LC) at about
 * 27,000 (shared/STYLE.md, "Signing speed"). If its native library does not load (another OS or
 * architecture, a missing glibc), the JDK providers stay and the server still works, slower; {@link
 * Installed#es256Provider()} says which one signs, for the start-up log line and a metric tag.
 */
public final class CryptoProviders {
  private static final Logger LOG = LoggerFactory.getLogger(CryptoProviders.class);

  /** The JCA name {@link JwsSigner} uses for ES256. */
  static final String ES256_JCA = "SHA256withECDSAinP1363Format";

  /** The JCA name of the native provider (Amazon Corretto Crypto Provider). */
  public static final String NATIVE_PROVIDER = "AmazonCorrettoCryptoProvider";

  private static volatile Installed installed;

  private CryptoProviders() {}

  /**
   * What {@link #install()} found.
   *
   * @param es256Provider name of the provider that {@code Signature.getInstance} now returns for
   *     ES256, e.g. {@code AmazonCorrettoCryptoProvider} or {@code SunEC}
   * @param nativeCrypto true if ACCP loaded, passed its self-test and is installed first
   * @param fallbackReason why ACCP is not used, when it is not
   */
  public record Installed(
      String es256Provider, boolean nativeCrypto, Optional<String> fallbackReason) {}

  /**
   * Installs ACCP at the highest priority if its native library loads and it reports healthy, else
   * leaves the JDK's providers. Idempotent. Never throws.
   */
  public static synchronized Installed install() {
    if (installed != null) {
      return installed;
    }
    String reason = null;
    boolean nativeCrypto = false;
    try {
      Throwable loadingError = AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError();
      if (loadingError != null) {
        reason = "native library did not load: " + loadingError;
      } else {
        AmazonCorrettoCryptoProvider.install();
        try {
          AmazonCorrettoCryptoProvider.INSTANCE.assertHealthy();
          nativeCrypto = true;
        } catch (RuntimeException e) {
          Security.removeProvider(AmazonCorrettoCryptoProvider.INSTANCE.getName());
          reason = "self-test failed: " + e;
        }
      }
    } catch (Exception | LinkageError e) {
      reason = "could not be installed: " + e;
    }
    Installed result =
        new Installed(providerOf(ES256_JCA), nativeCrypto, Optional.ofNullable(reason));
    try {
      if (nativeCrypto) {
        LOG.info("ES256 signing provider: {} (native)", result.es256Provider());
      } else {
        LOG.warn(
            "ES256 signing provider: {} (JDK; Amazon Corretto Crypto Provider unavailable: {})",
            result.es256Provider(),
            reason);
      }
    } catch (RuntimeException | LinkageError ignored) {
      // logging must not turn a working fallback into a failed start
    }
    installed = result;
    return result;
  }

  /** The result of {@link #install()}, if it ran. */
  public static Optional<Installed> installed() {
    return Optional.ofNullable(installed);
  }

  private static String providerOf(String algorithm) {
    try {
      return Signature.getInstance(algorithm).getProvider().getName();
    } catch (NoSuchAlgorithmException | RuntimeException e) {
      return "none";
    }
  }
}
