package io.grantry.eventstore;

import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/**
 * How a tracer sees the group commit ({@link EventStore#traceAppends}): the store knows nothing of
 * any tracing library, and a store without one (the default) pays nothing for it, not even a lookup
 * per append.
 *
 * <p>An append is made on its request's context and written later, on the store's own context, in
 * one transaction with the appends of other requests. So the tracer is asked twice: once as each
 * append is made (on the appender's context, where the request's span is current), and once per
 * batch, with what it answered for each of the batch's appends, to run the batch's statements
 * inside a span of its own.
 */
public interface AppendTracing {
  /**
   * Called by {@link EventStore#append} on the appender's context: what a batch holding this append
   * will follow from (the appender's current span, say), or null when the appender is traced by
   * nothing.
   */
  Object origin();

  /**
   * Writes one batch: {@code write} runs the batch's statements and completes once its transaction
   * is over. {@code origins} holds {@link #origin()}'s answer for each append of the batch, in
   * queue order, nulls included. Called on the store's context; the returned future completes there
   * too.
   */
  Future<Void> batch(List<Object> origins, Supplier<Future<Void>> write);
}
