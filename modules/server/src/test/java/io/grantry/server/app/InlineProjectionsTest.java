package io.grantry.server.app;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.clients.ClientsProjection;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.TestServer;
import io.grantry.server.users.UsersProjection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The clients and users tables are what a replay of the ledger gives, and applying events twice
 * changes nothing.
 */
class InlineProjectionsTest {

  @Test
  void aReplayFromZeroGivesTheSameRowsAndASecondReplayChangesNothing() throws Exception {
    try (TestServer server = TestServer.start()) {
      AdminHttp admin = new AdminHttp(server);
      for (String id : List.of("r-one", "r-two")) {
        assertThat(
                admin
                    .post(
                        "/admin/clients",
                        new JsonObject()
                            .put("client_id", id)
                            .put("client_name", id)
                            .put(
                                "redirect_uris",
                                new JsonArray().add("https://" + id + ".example/cb")))
                    .status())
            .isEqualTo(201);
      }
      admin.put(
          "/admin/clients/r-one",
          new JsonObject()
              .put("client_name", "Renamed")
              .put("logo_uri", "https://r.example/l.png")
              .put("redirect_uris", new JsonArray().add("https://r-one.example/cb2")));
      admin.post("/admin/clients/r-one/rotate-secret", null);
      admin.post("/admin/clients/r-two/disable", null);
      admin.post(
          "/admin/clients",
          new JsonObject()
              .put("client_id", "r-pub")
              .put("client_name", "Public")
              .put("token_endpoint_auth_method", "none")
              .put("redirect_uris", new JsonArray().add("http://127.0.0.1/cb")));
      String u =
          admin
              .post(
                  "/admin/users",
                  new JsonObject()
                      .put("username", "Replay")
                      .put("password", "replay password")
                      .put("email", "r@example.com"))
              .json()
              .getString("user_id");
      admin.put(
          "/admin/users/" + u + "/password", new JsonObject().put("password", "replay password 2"));
      admin.post("/admin/users/" + u + "/disable", null);
      admin.post(
          "/admin/users",
          new JsonObject().put("username", "other").put("password", "other password"));

      EventStore store =
          EventStore.create(
              server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
      try {
        ProjectionRunner runner = new ProjectionRunner(store);
        for (Projection p : List.of(new ClientsProjection(), new UsersProjection())) {
          String table = p.tables().get(0);
          List<String> live = rows(store, table);
          assertThat(live).as(table).hasSizeGreaterThanOrEqualTo(2);
          TableNames copies = await(runner.createCopies(p, "__replay"));
          await(runner.replay(p, copies, GlobalPosition.START));
          assertThat(rows(store, copies.of(table))).as(table).isEqualTo(live);
          await(runner.replay(p, copies, GlobalPosition.START));
          assertThat(rows(store, copies.of(table)))
              .as(table + " after a second replay")
              .isEqualTo(live);
        }
        assertThat(rows(store, "clients").toString())
            .contains("Renamed")
            .contains("\"disabled\":true");
      } finally {
        await(store.close());
      }
    }
  }

  private static List<String> rows(EventStore store, String table) throws Exception {
    List<String> out = new ArrayList<>();
    String key = table.startsWith("clients") ? "client_id" : "user_id";
    for (Row r :
        await(
            store
                .pool()
                .query("SELECT row_to_json(t)::text FROM " + table + " t ORDER BY " + key)
                .execute())) {
      out.add(r.getString(0));
    }
    return out;
  }
}
