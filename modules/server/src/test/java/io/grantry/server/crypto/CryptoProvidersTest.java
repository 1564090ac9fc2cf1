package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Security;
import java.security.Signature;
import org.junit.jupiter.api.Test;

class CryptoProvidersTest {

  @Test
  void reportsTheProviderThatNowSignsEs256() throws Exception {
    CryptoProviders.Installed installed = CryptoProviders.install();

    assertThat(installed.es256Provider())
        .isEqualTo(Signature.getInstance("SHA256withECDSAinP1363Format").getProvider().getName());
    assertThat(installed.nativeCrypto()).isEqualTo(installed.fallbackReason().isEmpty());
    assertThat(CryptoProviders.installed()).contains(installed);
    assertThat(CryptoProviders.install()).isSameAs(installed);
  }

  /**
   * On the x86-64 Linux machines we build and run on, the native provider must be the one in front.
   */
  @Test
  void installsCorrettoFirstWhereItsNativeLibraryLoads() {
    assumeTrue(
        AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError() == null,
        "ACCP native library not loadable here");
    CryptoProviders.Installed installed = CryptoProviders.install();

    assertThat(installed.nativeCrypto()).isTrue();
    assertThat(installed.es256Provider()).isEqualTo("AmazonCorrettoCryptoProvider");
    assertThat(Security.getProviders()[0].getName()).isEqualTo("AmazonCorrettoCryptoProvider");
  }
}
