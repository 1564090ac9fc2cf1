package io.grantry.projections;

import io.grantry.eventstore.GlobalPosition;

/**
 * Where a projection stands: its checkpoint, how many readable events it has not applied yet, and
 * how old the oldest of them is (0 when caught up).
 */
public record ProjectionStatus(
    String name, boolean inline, GlobalPosition checkpoint, long lagEvents, double lagSeconds) {}
