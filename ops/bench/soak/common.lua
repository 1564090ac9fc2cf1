-- Shared by the soak workloads: pacing and the one-line report.
-- SOAK_DELAY_MS: mean pause of each connection between its requests (0: as fast as it can).
-- The pause is rounded up or down at random so that its mean is the fractional value asked for.
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")

function delay()
  if delay_ms <= 0 then
    return 0
  end
  return math.floor(delay_ms + math.random())
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("RESULT %.1f %d %.2f %.2f %.2f %d %d %d\n", summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, summary.requests,
    summary.errors.status, summary.errors.timeout))
end
