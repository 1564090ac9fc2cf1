package io.grantry.eventstore.audit;

import io.vertx.core.json.JsonObject;

/** Checks a checkpoint's JWS against the trusted public keys and answers its claims. */
@FunctionalInterface
public interface CheckpointSignatures {
  /**
   * @return the signed claims
   * @throws Exception when the signature is not valid for a trusted key (unknown kid, bad
   *     signature, wrong typ)
   */
  JsonObject verify(String jws) throws Exception;
}
