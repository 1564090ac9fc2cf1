package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.server.config.ConfigException;
import io.grantry.server.config.ProxyRanges;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
  @Test
  void matchesAddressesAndRangesOfBothFamilies() {
    ProxyRanges p = ProxyRanges.parse(" 10.1.0.0/16, 192.168.1.7 ,fd00::/8");
    assertThat(p.trusts("10.1.200.3")).isTrue();
    assertThat(p.trusts("10.2.0.1")).isFalse();
    assertThat(p.trusts("192.168.1.7")).isTrue();
    assertThat(p.trusts("192.168.1.8")).isFalse();
    assertThat(p.trusts("fd12::1")).isTrue();
    assertThat(p.trusts("fe80::1")).isFalse();
    assertThat(p.trusts("not-an-address")).isFalse();
    assertThat(p.trusts("localhost")).isFalse();
    assertThat(ProxyRanges.parse("").trusts("127.0.0.1")).isFalse();
  }

  @Test
  void aBadEntryStopsTheStartNamingTheSetting() {
    assertThatThrownBy(() -> ProxyRanges.parse("10.0.0.0/33"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_TRUSTED_PROXIES");
    assertThatThrownBy(() -> ProxyRanges.parse("proxy.example.com"))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> ProxyRanges.parse("10.0.0.1/x")).isInstanceOf(ConfigException.class);
  }
}
