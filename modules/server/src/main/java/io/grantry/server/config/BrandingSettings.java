package io.grantry.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the browser pages look, without forking their templates: the product's name, its logo and its
 * colour, and a stylesheet of the operator's served after the pages' own.
 *
 * @param productName GRANTRY_BRAND_NAME: the name the pages give the server ("Secured by …", the
 *     window title, "Sign out of …?"); 1 to 60 characters, no control characters ({@code Grantry})
 * @param logoUrl GRANTRY_BRAND_LOGO_URL: an image shown above every page, an absolute {@code https}
 *     URL (or {@code http} while the issuer is {@code http}) without user info or fragment; its
 *     origin alone is added to the pages' {@code img-src}
 * @param color GRANTRY_BRAND_COLOR: the primary colour (buttons, links, focus): a CSS colour only,
 *     as {@code #rgb}, {@code #rrggbb} (with or without alpha), {@code rgb()}, {@code rgba()},
 *     {@code hsl()}, {@code hsla()} of numbers, or a CSS named colour; anything else stops the
 *     start
 * @param cssFile GRANTRY_BRAND_CSS_FILE: a stylesheet served at {@code /assets/brand.css} after the
 *     pages' own; read once at start (at most {@link #CSS_MAX_BYTES}, UTF-8): a file that cannot be
 *     read stops the start
 */
public record BrandingSettings(
    String productName, Optional<URI> logoUrl, Optional<String> color, Optional<Path> cssFile) {

  /** The largest stylesheet GRANTRY_BRAND_CSS_FILE may name. */
  public static final int CSS_MAX_BYTES = 64 * 1024;

  static final int NAME_MAX = 60;

  /**
   * CSS colour values of numbers only: hex, and the functional forms whose arguments are digits,
   * dots, percent signs, {@code deg}, commas, slashes and spaces. Nothing that could end a
   * declaration ({@code ;}, <code>}</code>), open a string or a URL, or escape ({@code \}).
   */
  private static final Pattern HEX =
      Pattern.compile("#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})");

  private static final Pattern FUNCTION =
      Pattern.compile("(rgb|rgba|hsl|hsla)\\([0-9.%, /]{1,48}(deg)?[0-9.%, /]{0,48}\\)");

  /** CSS Color Module Level 4 §6.1, the named colours (transparent and currentcolor left out). */
  static final Set<String> NAMED =
      Set.of(
          ("aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue"
                  + " blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue"
                  + " cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen"
                  + " darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred"
                  + " darksalmon darkseagreen darkslateblue darkslategray darkslategrey"
                  + " darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue"
                  + " firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod"
                  + " gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki"
                  + " lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan"
                  + " lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon"
                  + " lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue"
                  + " lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue"
                  + " mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen"
                  + " mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin"
                  + " navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod"
                  + " palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum"
                  + " powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon"
                  + " sandybrown seagreen seashell sienna silver skyblue slateblue slategray"
                  + " slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet"
                  + " wheat white whitesmoke yellow yellowgreen")
              .split(" "));

  static BrandingSettings read(Settings s, String issuer) {
    String name = s.text("GRANTRY_BRAND_NAME", "Grantry");
    if (name.length() > NAME_MAX || name.chars().anyMatch(Character::isISOControl)) {
      throw new ConfigException(
          "GRANTRY_BRAND_NAME must be 1 to " + NAME_MAX + " characters without control characters");
    }
    Optional<URI> logo = s.text("GRANTRY_BRAND_LOGO_URL").map(u -> logo(u, issuer));
    Optional<String> color = s.text("GRANTRY_BRAND_COLOR").map(BrandingSettings::color);
    Optional<Path> css =
        s.text("GRANTRY_BRAND_CSS_FILE")
            .map(
                f -> {
                  try {
                    return Path.of(f);
                  } catch (InvalidPathException e) {
                    throw new ConfigException("GRANTRY_BRAND_CSS_FILE is not a file path: " + f);
                  }
                });
    return new BrandingSettings(name, logo, color, css);
  }

  public static BrandingSettings defaults() {
    return new BrandingSettings("Grantry", Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The logo's origin ({@code https://cdn.example}), for the pages' {@code img-src}. */
  public Optional<String> logoOrigin() {
    return logoUrl.map(
        u -> u.getScheme() + "://" + u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort()));
  }

  static String color(String value) {
    String v = value.strip();
    if (v.length() <= 64
        && (HEX.matcher(v).matches()
            || FUNCTION.matcher(v).matches()
            || NAMED.contains(v.toLowerCase(java.util.Locale.ROOT)))) {
      return v;
    }
    throw new ConfigException(
        "GRANTRY_BRAND_COLOR must be a CSS colour (#2457d6, rgb(36, 87, 214), hsl(222 71% 49%) or"
            + " a named colour such as teal), got '"
            + printable(value)
            + "'");
  }

  static URI logo(String value, String issuer) {
    URI u;
    try {
      u = new URI(value);
    } catch (URISyntaxException e) {
      throw new ConfigException("GRANTRY_BRAND_LOGO_URL is not a URL: '" + printable(value) + "'");
    }
    boolean httpIssuer = issuer.startsWith("http://");
    if (!("https".equals(u.getScheme()) || ("http".equals(u.getScheme()) && httpIssuer))
        || u.getHost() == null
        || u.getRawUserInfo() != null
        || u.getRawFragment() != null
        || value.length() > 2048) {
      throw new ConfigException(
          "GRANTRY_BRAND_LOGO_URL must be an absolute https URL"
              + (httpIssuer ? " (or http, while the issuer is http)" : "")
              + " with a host and no user info or fragment, got '"
              + printable(value)
              + "'");
    }
    return u;
  }

  /** A refused value as the one-line start error shows it: at most 80 characters, one line. */
  private static String printable(String value) {
    String v = value.replaceAll("\\p{Cntrl}", "?");
    return v.length() > 80 ? v.substring(0, 80) + "…" : v;
  }
}
