package io.grantry.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Users through the admin API. A password is never an argument (it would show in the process list
 * and the shell history): it is typed at the terminal, read from standard input, or generated.
 */
@Command(
    name = "users",
    mixinStandardHelpOptions = true,
    description = "Manage users (through the admin API).",
    subcommands = {
      UsersCommand.Create.class,
      UsersCommand.ListUsers.class,
      UsersCommand.Show.class,
      UsersCommand.Disable.class,
      UsersCommand.Enable.class,
      UsersCommand.SetPassword.class,
      UsersCommand.EmailVerified.class,
      UsersCommand.Sessions.class,
      UsersCommand.EndSessions.class
    })
final class UsersCommand {

  /** Where a new password comes from. */
  static final class PasswordSource {
    @Option(
        names = "--password-stdin",
        description = "Read the password from the first line of standard input.")
    boolean stdin;

    @Option(names = "--generate-password", description = "Generate a password and print it once.")
    boolean generate;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Register a user (the password is asked for unless --password-stdin or --generate-password).")
  static final class Create implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Mixin PasswordSource source;

    @Parameters(index = "0", paramLabel = "USERNAME", description = "Unique regardless of case.")
    String username;

    @Option(names = "--email", description = "The email claim.")
    String email;

    @Option(names = "--name", description = "The name claim (full name).")
    String name;

    @Option(
        names = "--email-verified",
        description = "The email address is verified (the email_verified claim; needs --email).")
    boolean emailVerified;

    @Override
    public Integer call() {
      String password = AdminOptions.password(source.stdin, source.generate);
      JsonObject body = new JsonObject().put("username", username).put("password", password);
      if (email != null) {
        body.put("email", email);
      }
      if (name != null) {
        body.put("name", name);
      }
      if (emailVerified) {
        body.put("email_verified", true);
      }
      JsonObject created = admin.api().post("/users", body);
      printWithPassword(admin, created, source.generate ? password : null);
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List users, ordered by username.")
  static final class ListUsers implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Mixin PageOptions page;

    @Override
    public Integer call() {
      String query = page.query();
      admin.printPage(
          admin.api().get("/users" + query),
          new String[] {"USER_ID", "USERNAME", "EMAIL", "NAME", "DISABLED"},
          new String[] {"user_id", "username", "email", "name", "disabled"},
          "grantry users list --limit " + page.limit);
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one user.")
  static final class Show implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      admin.printObject(api.get("/users/" + AdminApi.segment(userId(api, user))));
      return 0;
    }
  }

  @Command(
      name = "enable",
      mixinStandardHelpOptions = true,
      description =
          "Enable a disabled user: they may sign in again (ended sessions and revoked grants stay"
              + " so).")
  static final class Enable implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      JsonObject enabled =
          api.post("/users/" + AdminApi.segment(userId(api, user)) + "/enable", null);
      if (admin.json) {
        admin.printObject(enabled);
      } else {
        System.out.println(
            "User "
                + enabled.getString("username")
                + " ("
                + enabled.getString("user_id")
                + ") is enabled.");
      }
      return 0;
    }
  }

  @Command(
      name = "disable",
      mixinStandardHelpOptions = true,
      description = "Disable a user: they can no longer sign in.")
  static final class Disable implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      JsonObject disabled =
          api.post("/users/" + AdminApi.segment(userId(api, user)) + "/disable", null);
      if (admin.json) {
        admin.printObject(disabled);
      } else {
        System.out.println(
            "User "
                + disabled.getString("username")
                + " ("
                + disabled.getString("user_id")
                + ") is disabled.");
      }
      return 0;
    }
  }

  @Command(
      name = "set-password",
      mixinStandardHelpOptions = true,
      description =
          "Set a user's password (asked for unless --password-stdin or --generate-password).")
  static final class SetPassword implements Callable<Integer> {
    @Mixin AdminOptions admin;
    @Mixin PasswordSource source;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Override
    public Integer call() {
      String password = AdminOptions.password(source.stdin, source.generate);
      AdminApi api = admin.api();
      JsonObject updated =
          api.put(
              "/users/" + AdminApi.segment(userId(api, user)) + "/password",
              new JsonObject().put("password", password));
      if (admin.json) {
        printWithPassword(admin, updated, source.generate ? password : null);
      } else {
        System.out.println("Password of " + updated.getString("username") + " set.");
        if (source.generate) {
          System.out.println("password  " + password);
          AdminOptions.warnSecretShownOnce(System.out, "password");
        }
      }
      return 0;
    }
  }

  @Command(
      name = "email-verified",
      mixinStandardHelpOptions = true,
      description =
          "Say whether a user's email address is verified: the email_verified claim of their ID"
              + " tokens and userinfo from now on.")
  static final class EmailVerified implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Parameters(
        index = "1",
        paramLabel = "VERIFIED",
        arity = "0..1",
        description = "true (the default) or false.")
    boolean verified = true;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      JsonObject updated =
          api.put(
              "/users/" + AdminApi.segment(userId(api, user)) + "/email-verified",
              new JsonObject().put("email_verified", verified));
      if (admin.json) {
        admin.printObject(updated);
      } else {
        System.out.println(
            "The email of "
                + updated.getString("username")
                + " is "
                + (verified ? "verified." : "not verified."));
      }
      return 0;
    }
  }

  @Command(
      name = "sessions",
      mixinStandardHelpOptions = true,
      description = "List a user's live browser sessions, newest first.")
  static final class Sessions implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      admin.printPage(
          api.get("/users/" + AdminApi.segment(userId(api, user)) + "/sessions"),
          new String[] {"SESSION_ID", "SIGNED_IN", "EXPIRES", "FROM", "BROWSER"},
          new String[] {"session_id", "auth_time", "expires_at", "address", "user_agent"},
          null);
      return 0;
    }
  }

  @Command(
      name = "end-sessions",
      mixinStandardHelpOptions = true,
      description =
          "End a user's browser sessions (all, or one with --session): their cookies stop signing"
              + " them in on every server at once.")
  static final class EndSessions implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "USER", description = "The user's id or username.")
    String user;

    @Option(names = "--session", paramLabel = "SESSION_ID", description = "End only this one.")
    String session;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      String path = "/users/" + AdminApi.segment(userId(api, user)) + "/sessions";
      JsonObject done =
          session == null ? api.delete(path) : api.delete(path + "/" + AdminApi.segment(session));
      if (admin.json) {
        admin.printObject(done);
      } else if (session == null) {
        System.out.println("Ended " + done.getInteger("sessions_ended") + " session(s).");
      } else {
        System.out.println(
            done.getBoolean("ended")
                ? "Session " + session + " ended."
                : "Session " + session + " was not live; nothing changed.");
      }
      return 0;
    }
  }

  /** The id of {@code user}, given as an id or as a username. */
  static String userId(AdminApi api, String user) {
    try {
      return api.get("/users/" + AdminApi.segment(user)).getString("user_id");
    } catch (CliFailure notAnId) {
      if (notAnId.exitCode() != CliFailure.NOT_FOUND && notAnId.exitCode() != CliFailure.INVALID) {
        throw notAnId; // unreachable, unauthorized: asking by username would fail the same way
      }
      JsonArray found = api.get("/users?username=" + AdminApi.segment(user)).getJsonArray("items");
      if (found == null || found.isEmpty()) {
        throw new CliFailure(3, "no user with the id or username '" + user + "'");
      }
      return found.getJsonObject(0).getString("user_id");
    }
  }

  private static void printWithPassword(AdminOptions admin, JsonObject user, String generated) {
    JsonObject shown = user.copy();
    if (generated != null) {
      shown.put("password", generated);
    }
    admin.printObject(shown);
    if (generated != null && !admin.json) {
      AdminOptions.warnSecretShownOnce(System.out, "password");
    }
  }
}
