package io.grantry.server.pages;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * An authorization response in OAuth 2.0 Form Post Response Mode: a page whose form the browser
 * posts to the client's redirect URI at once, carrying the response's parameters as hidden fields.
 *
 * @param action the redirect URI, as registered (its query kept)
 * @param fields the response's parameters, in order
 */
public record FormPostPage(String action, List<Field> fields) {
  /** One hidden field. */
  public record Field(String name, String value) {}

  /**
   * The page's only script. It is inline, so the page needs no second request; the Content Security
   * Policy allows exactly this text by its hash ({@link #SCRIPT_HASH}) and nothing else.
   */
  public static final String SCRIPT = "document.forms[0].submit();";

  /** The CSP source that allows {@link #SCRIPT}: {@code 'sha256-…'} of its UTF-8 bytes. */
  public static final String SCRIPT_HASH;

  static {
    try {
      SCRIPT_HASH =
          "'sha256-"
              + Base64.getEncoder()
                  .encodeToString(
                      MessageDigest.getInstance("SHA-256")
                          .digest(SCRIPT.getBytes(StandardCharsets.UTF_8)))
              + "'";
    } catch (NoSuchAlgorithmException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  public FormPostPage {
    fields = List.copyOf(fields);
  }

  public String script() {
    return SCRIPT;
  }
}
