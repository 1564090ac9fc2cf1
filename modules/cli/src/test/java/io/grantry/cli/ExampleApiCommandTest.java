package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code grantry example-api}'s DPoP settings, refused before anything starts: one line naming the
 * setting, exit code 2, never the secret's value.
 */
class ExampleApiCommandTest {
  static final String ISSUER = "http://127.0.0.1:1";

  @AfterEach
  void reset() {
    CliSupport.env = System.getenv();
  }

  static CliTest.Run exampleApi(Map<String, String> env, String... options) {
    CliSupport.env = env;
    String[] args = new String[options.length + 3];
    args[0] = "example-api";
    args[1] = "--issuer";
    args[2] = ISSUER;
    System.arraycopy(options, 0, args, 3, options.length);
    return CliTest.run(args);
  }

  @Test
  void aNonceSecretThatIsMissingNotBase64OrShortIsOneLineAndExitCodeTwo() {
    String[] nonces = {"--dpop-nonce-secret-env", "API_NONCE_SECRET"};
    CliTest.Run missing = exampleApi(Map.of(), nonces);
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err().strip()).contains("$API_NONCE_SECRET").contains("empty");

    CliTest.Run notBase64 = exampleApi(Map.of("API_NONCE_SECRET", "not base64 at all!"), nonces);
    assertThat(notBase64.code()).isEqualTo(2);
    assertThat(notBase64.err().strip())
        .contains("$API_NONCE_SECRET is not base64")
        .doesNotContain("at all");

    CliTest.Run tooShort =
        exampleApi(Map.of("API_NONCE_SECRET", "c2hvcnQtc2VjcmV0LTE2Ynk="), nonces);
    assertThat(tooShort.code()).isEqualTo(2);
    assertThat(tooShort.err().strip())
        .contains("32 bytes")
        .doesNotContain("c2hvcnQtc2VjcmV0LTE2Ynk=");

    CliTest.Run rotation =
        exampleApi(
            Map.of("API_NONCE_SECRET", "A".repeat(44)),
            "--dpop-nonce-secret-env",
            "API_NONCE_SECRET",
            "--dpop-nonce-rotation",
            "2");
    assertThat(rotation.code()).isEqualTo(2);
    assertThat(rotation.err().strip()).contains("rotation");
  }

  @Test
  void aPublicUrlThatIsNotAnHttpOriginIsOneLineAndExitCodeTwo() {
    for (String url : new String[] {"ftp://api.example", "https://api.example/?q=1", "notes"}) {
      CliTest.Run r = exampleApi(Map.of(), "--public-url", url);
      assertThat(r.code()).as(url).isEqualTo(2);
      assertThat(r.err().strip())
          .as(url)
          .startsWith("grantry: example-api: ")
          .contains("public URL");
    }
  }
}
