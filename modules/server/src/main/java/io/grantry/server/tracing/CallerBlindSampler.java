package io.grantry.server.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sampling decision for a request that continues a caller's trace: GRANTRY_OTEL_SAMPLE's share,
 * drawn here at random, whatever the caller's {@code traceparent} says. Following the caller's
 * sampled flag (a plain parent-based sampler) would let anyone have all of their own traffic
 * recorded and exported at any setting; a ratio over the trace id would let them pick ids that pass
 * it. The trace id is still the caller's: a recorded span continues their trace.
 */
final class CallerBlindSampler implements Sampler {
  private final double share;

  CallerBlindSampler(double share) {
    this.share = share;
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    return share > 0 && (share >= 1 || ThreadLocalRandom.current().nextDouble() < share)
        ? SamplingResult.recordAndSample()
        : SamplingResult.drop();
  }

  @Override
  public String getDescription() {
    return "CallerBlindSampler{" + share + "}";
  }
}
