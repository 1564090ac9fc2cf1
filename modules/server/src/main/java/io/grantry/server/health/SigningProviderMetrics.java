package io.grantry.server.health;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.server.crypto.CryptoProviders;
import io.grantry.server.keys.KeyService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code grantry_signing_provider_info{alg, provider, native} 1}: which JCA provider signs each
 * algorithm, read from the active signers themselves (not from the provider list), so that an
 * operator sees on the metrics page whether tokens are signed natively (Amazon Corretto Crypto
 * Provider, about 40 times the JDK's ES256 rate) or by the JDK fallback.
 */
public final class SigningProviderMetrics {
  private SigningProviderMetrics() {}

  /** The provider of each algorithm's active signer. */
  public static Map<SigningAlgorithm, String> providers(KeyService keys) {
    Map<SigningAlgorithm, String> out = new EnumMap<>(SigningAlgorithm.class);
    for (SigningAlgorithm alg : SigningAlgorithm.values()) {
      out.put(alg, keys.signer(alg).provider());
    }
    return out;
  }

  /** Registers one info gauge per algorithm; returns what it registered. */
  public static Map<SigningAlgorithm, String> register(MeterRegistry registry, KeyService keys) {
    Map<SigningAlgorithm, String> providers = providers(keys);
    providers.forEach(
        (alg, provider) ->
            Gauge.builder("grantry.signing.provider.info", () -> 1.0)
                .tag("alg", alg.wire())
                .tag("provider", provider)
                .tag("native", String.valueOf(CryptoProviders.NATIVE_PROVIDER.equals(provider)))
                .description(
                    "The JCA provider that signs tokens of this algorithm (value always 1)")
                .register(registry));
    return providers;
  }
}
