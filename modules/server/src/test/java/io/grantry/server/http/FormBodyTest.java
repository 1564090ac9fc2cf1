package io.grantry.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The urlencoded parser of the OAuth endpoints: what it accepts, what it refuses. */
class FormBodyTest {
  private static MultiMap parse(String body) throws Exception {
    return FormBody.parse(Buffer.buffer(body.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void decodesNamesAndValues() throws Exception {
    MultiMap m =
        parse(
            "grant_type=client_credentials&scope=api+read%20write&redirect_uri=https%3A%2F%2Fa.test%2Fcb%3Fx%3D1");
    assertThat(m.get("grant_type")).isEqualTo("client_credentials");
    assertThat(m.get("scope")).isEqualTo("api read write");
    assertThat(m.get("redirect_uri")).isEqualTo("https://a.test/cb?x=1");
    assertThat(m.names()).hasSize(3);
  }

  @Test
  void decodesUtf8AndKeepsEncodedSeparatorsInValues() throws Exception {
    MultiMap m = parse("name=J%C3%BCrgen&v=a%26b%3Dc&plus=%2B");
    assertThat(m.get("name")).isEqualTo("Jürgen");
    assertThat(m.get("v")).isEqualTo("a&b=c");
    assertThat(m.get("plus")).isEqualTo("+");
  }

  @Test
  void keepsRepeatsForTheEndpointsToRefuse() throws Exception {
    MultiMap m = parse("token=a&token=b&x=1");
    assertThat(m.getAll("token")).containsExactly("a", "b");
  }

  @Test
  void emptyPiecesAreSkippedAndAMissingEqualsIsAnEmptyValue() throws Exception {
    MultiMap m = parse("&&a=1&&b&c=&=d&");
    assertThat(m.get("a")).isEqualTo("1");
    assertThat(m.get("b")).isEmpty();
    assertThat(m.get("c")).isEmpty();
    assertThat(m.get("")).isEqualTo("d");
    assertThat(parse("").isEmpty()).isTrue();
  }

  @Test
  void onlyTheFirstEqualsSplits() throws Exception {
    assertThat(parse("a=b=c").get("a")).isEqualTo("b=c");
  }

  @Test
  void refusesBrokenPercentEscapesAndBytesThatAreNotUtf8() {
    for (String body :
        List.of(
            "a=%", "a=%4", "a=%zz", "a=%G1", "%=1", "a=1&b=%2", "a=%C3%28", "a=%FF", "a=%C0%AF")) {
      assertThatThrownBy(() -> parse(body))
          .as(body)
          .isInstanceOf(FormBody.MalformedFormException.class)
          .hasMessageNotContaining("%");
    }
  }

  @Test
  void refusesRawBytesThatAreNotUtf8() {
    assertThatThrownBy(() -> FormBody.parse(Buffer.buffer(new byte[] {'a', '=', (byte) 0xC3, '('})))
        .isInstanceOf(FormBody.MalformedFormException.class);
  }

  @Test
  void refusesMoreThanTheLimitOfParameters() throws Exception {
    StringBuilder ok = new StringBuilder("a=1");
    for (int i = 1; i < FormBody.MAX_FIELDS; i++) {
      ok.append("&a=1");
    }
    assertThat(parse(ok.toString()).getAll("a")).hasSize(FormBody.MAX_FIELDS);
    assertThatThrownBy(() -> parse(ok + "&b=2"))
        .isInstanceOf(FormBody.MalformedFormException.class);
  }

  @Test
  void keepsControlCharactersAsValuesForTheEndpointsToJudge() throws Exception {
    assertThat(parse("a=x%0D%0Ay&b=%00").get("a")).isEqualTo("x\r\ny");
  }

  @Test
  void theFormMediaTypeIsMatchedExactlyWithParametersAllowed() {
    assertThat(FormBody.isForm("application/x-www-form-urlencoded")).isTrue();
    assertThat(FormBody.isForm("application/x-www-form-urlencoded;charset=utf-8")).isTrue();
    assertThat(FormBody.isForm(" APPLICATION/X-WWW-FORM-URLENCODED ")).isTrue();
    assertThat(FormBody.isForm("application/x-www-form-urlencodedXYZ")).isFalse();
    assertThat(FormBody.isForm("application/x-www-form-urlencoded,text/plain")).isFalse();
    assertThat(FormBody.isForm("application/json")).isFalse();
    assertThat(FormBody.isForm("")).isFalse();
    assertThat(FormBody.isForm(null)).isFalse();
  }
}
