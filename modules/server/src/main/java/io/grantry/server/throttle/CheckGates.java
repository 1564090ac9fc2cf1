package io.grantry.server.throttle;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds how many credential checks one key (a penalized address) may have under way at once. A
 * check takes a {@link Permit}; up to {@code concurrent} are handed out, further callers wait in a
 * FIFO queue of at most {@code maxWaiting} for at most {@code maxWait}, and anyone beyond that is
 * turned away without a permit (the caller then answers without checking anything). The holder of a
 * permit decides how long to keep it: {@link ClientAuthThrottle}'s caller releases it at once after
 * a correct credential and only after the address's penalty after a wrong one, so a guesser's
 * checks come at most {@code concurrent} per penalty however many requests it sends in parallel.
 *
 * <p>Shared by the verticles of a process: a waiter is completed on its own context. A gate exists
 * only while someone holds or waits for one of its permits.
 */
final class CheckGates {
  private final int concurrent;
  private final int maxWaiting;
  private final long maxWaitMillis;
  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

  /** The right to run one check; release it exactly once. */
  interface Permit {
    void release();
  }

  CheckGates(int concurrent, int maxWaiting, Duration maxWait) {
    this.concurrent = concurrent;
    this.maxWaiting = maxWaiting;
    this.maxWaitMillis = maxWait.toMillis();
  }

  /**
   * A permit for a check under {@code key}: at once, after waiting, or null (the future succeeds
   * with null) when the queue is full or the wait ran out.
   */
  Future<Permit> enter(Vertx vertx, String key) {
    while (true) {
      Gate gate = gates.computeIfAbsent(key, Gate::new);
      Promise<Permit> promise;
      Waiter waiter;
      synchronized (gate) {
        if (gate.closed) {
          continue; // removed while we looked it up: take the new one
        }
        if (gate.running < concurrent) {
          gate.running++;
          return Future.succeededFuture(gate.permit());
        }
        if (gate.waiting.size() >= maxWaiting || maxWaitMillis == 0) {
          return Future.succeededFuture(null);
        }
        promise = Promise.promise();
        waiter = new Waiter(vertx.getOrCreateContext(), promise);
        gate.waiting.add(waiter);
      }
      waiter.timer =
          vertx.setTimer(
              maxWaitMillis,
              t -> {
                boolean expired;
                synchronized (gate) {
                  expired = gate.waiting.remove(waiter);
                }
                if (expired) {
                  promise.tryComplete(null);
                }
              });
      return promise.future();
    }
  }

  /** Permits handed out and callers waiting under {@code key} now (for tests and operators). */
  int[] load(String key) {
    Gate gate = gates.get(key);
    if (gate == null) {
      return new int[] {0, 0};
    }
    synchronized (gate) {
      return new int[] {gate.running, gate.waiting.size()};
    }
  }

  private static final class Waiter {
    final Context context;
    final Promise<Permit> promise;
    volatile long timer = -1;

    Waiter(Context context, Promise<Permit> promise) {
      this.context = context;
      this.promise = promise;
    }
  }

  private final class Gate {
    final String key;
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    int running;
    boolean closed;

    Gate(String key) {
      this.key = key;
    }

    Permit permit() {
      boolean[] released = {false};
      return () -> {
        Waiter next;
        synchronized (this) {
          if (released[0]) {
            return;
          }
          released[0] = true;
          next = waiting.poll();
          if (next == null) {
            running--;
            if (running == 0) {
              closed = true;
              gates.remove(key, this);
            }
          }
        }
        if (next != null) {
          // The slot passes to the first waiter as it is: running stays the same.
          Waiter w = next;
          Permit handed = permit();
          w.context.owner().cancelTimer(w.timer);
          w.context.runOnContext(v -> w.promise.tryComplete(handed));
        }
      };
    }
  }
}
