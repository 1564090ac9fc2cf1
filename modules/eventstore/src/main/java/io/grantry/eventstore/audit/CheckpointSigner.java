package io.grantry.eventstore.audit;

import io.vertx.core.json.JsonObject;

/** Signs checkpoint claims as a compact JWS (typ {@value Checkpoint#TYP}). */
public interface CheckpointSigner {
  String kid();

  String sign(JsonObject claims);
}
