package io.grantry.server.pages;

import io.grantry.server.config.BrandingSettings;
import io.grantry.server.config.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * How the pages look under the operator's branding ({@link BrandingSettings}): the product's name
 * and logo, which every page's layout shows, and the brand stylesheet ({@code /assets/brand.css}):
 * the primary colour as the pages' {@code --accent} and the operator's CSS file after it. The pages
 * carry no inline style, so their Content Security Policy stays {@code style-src 'self'}; the
 * logo's origin, and only it, joins {@code img-src}.
 *
 * <p>Made once at start ({@link #load}, on a worker: it reads the CSS file) and handed to every
 * request by {@link BrandRoutes}.
 *
 * @param stylesheet the brand stylesheet, or null when neither a colour nor a file is configured
 * @param stylesheetUrl its path with a version of its content ({@code ?v=…}), so a browser that
 *     kept the last one fetches the new one after a restart; null without a stylesheet
 */
public record Look(
    String productName,
    String logoUrl,
    String stylesheet,
    String stylesheetUrl,
    String contentSecurityPolicy) {

  public static final String STYLESHEET_PATH = "/assets/brand.css";

  /** Grantry's own look: no logo, no brand stylesheet. */
  public static final Look DEFAULT = of(BrandingSettings.defaults(), Optional.empty());

  /**
   * The look {@code settings} describe, reading GRANTRY_BRAND_CSS_FILE: blocking, for a worker at
   * start. A file that is missing, unreadable, larger than {@link BrandingSettings#CSS_MAX_BYTES}
   * or not UTF-8 is a {@link ConfigException} that names the setting.
   */
  public static Look load(BrandingSettings settings) {
    return of(settings, settings.cssFile().map(Look::read));
  }

  static Look of(BrandingSettings settings, Optional<String> css) {
    String stylesheet = null;
    if (settings.color().isPresent() || css.isPresent()) {
      StringBuilder sheet = new StringBuilder();
      settings.color().ifPresent(c -> sheet.append(":root { --accent: ").append(c).append("; }\n"));
      css.ifPresent(sheet::append);
      stylesheet = sheet.toString();
    }
    return new Look(
        settings.productName(),
        settings.logoUrl().map(Object::toString).orElse(null),
        stylesheet,
        stylesheet == null ? null : STYLESHEET_PATH + "?v=" + version(stylesheet),
        policy(settings.logoOrigin()));
  }

  /**
   * The pages' Content Security Policy: nothing from elsewhere but images (the applications' logos
   * are theirs, over https), no framing, no inline script or style; and the brand logo's origin.
   */
  static String policy(Optional<String> logoOrigin) {
    return "default-src 'none'; style-src 'self'; img-src 'self' https: data:"
        + logoOrigin.map(o -> " " + o).orElse("")
        + "; frame-ancestors 'none'; base-uri 'none'";
  }

  private static String read(Path file) {
    try {
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new ConfigException(
            "GRANTRY_BRAND_CSS_FILE names " + file + ", which is not a readable file");
      }
      if (Files.size(file) > BrandingSettings.CSS_MAX_BYTES) {
        throw tooLarge(file);
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length > BrandingSettings.CSS_MAX_BYTES) {
        throw tooLarge(file);
      }
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException("GRANTRY_BRAND_CSS_FILE names " + file + ", which is not UTF-8");
    } catch (IOException e) {
      throw new ConfigException(
          "GRANTRY_BRAND_CSS_FILE names " + file + ", which cannot be read: " + e.getMessage());
    }
  }

  private static ConfigException tooLarge(Path file) {
    return new ConfigException(
        "GRANTRY_BRAND_CSS_FILE names "
            + file
            + ", which is larger than "
            + BrandingSettings.CSS_MAX_BYTES / 1024
            + " KB");
  }

  private static String version(String stylesheet) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(stylesheet.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
