package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate a penalized address's checks pass: a fixed number at once, a bounded FIFO queue behind
 * them, nobody beyond it, and a released place goes to the first waiter.
 */
class CheckGatesTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void placesAreBoundedQueuedInOrderAndPassedOn() throws Exception {
    CheckGates gates = new CheckGates(2, 3, Duration.ofHours(1));
    List<Future<CheckGates.Permit>> entered = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      entered.add(gates.enter(vertx, "a:x"));
    }
    assertThat(entered.get(0).result()).isNotNull();
    assertThat(entered.get(1).result()).isNotNull();
    // Three wait: nobody has released a place.
    assertThat(entered.subList(2, 5)).allSatisfy(f -> assertThat(f.isComplete()).isFalse());
    // The sixth finds the queue full: refused at once, without a place.
    assertThat(entered.get(5).isComplete()).isTrue();
    assertThat(entered.get(5).result()).isNull();
    assertThat(gates.load("a:x")).containsExactly(2, 3);
    // Another key has gates of its own.
    assertThat(gates.enter(vertx, "a:y").result()).isNotNull();

    entered.get(0).result().release();
    entered.get(0).result().release(); // a second release changes nothing
    CheckGates.Permit third = entered.get(2).toCompletionStage().toCompletableFuture().get();
    assertThat(third).isNotNull();
    assertThat(entered.get(3).isComplete()).isFalse();
    assertThat(gates.load("a:x")).containsExactly(2, 2);

    entered.get(1).result().release();
    third.release();
    CheckGates.Permit fourth = entered.get(3).toCompletionStage().toCompletableFuture().get();
    CheckGates.Permit fifth = entered.get(4).toCompletionStage().toCompletableFuture().get();
    assertThat(gates.load("a:x")).containsExactly(2, 0);
    fourth.release();
    fifth.release();
    assertThat(gates.load("a:x")).containsExactly(0, 0);
    // An idle gate is gone; a new one starts empty.
    assertThat(gates.enter(vertx, "a:x").result()).isNotNull();
  }

  @Test
  void withNoTimeToWaitABusyGateRefusesAtOnce() {
    CheckGates gates = new CheckGates(1, 10, Duration.ZERO);
    assertThat(gates.enter(vertx, "a:x").result()).isNotNull();
    Future<CheckGates.Permit> second = gates.enter(vertx, "a:x");
    assertThat(second.isComplete()).isTrue();
    assertThat(second.result()).isNull();
  }
}
