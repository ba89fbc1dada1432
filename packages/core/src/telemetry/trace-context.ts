import type { Context, SpanContext } from "@opentelemetry/api";
import type { OtelApiModule } from "./otel-api";

/** A task row's W3C trace context (`traceparent`, `tracestate`). */
export interface StoredTraceContext {
  traceparent: string | null;
  tracestate: string | null;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A span's context as the W3C `traceparent` and `tracestate` headers. Written here rather
 * than through the app's registered propagator: a row must carry W3C trace context whatever
 * propagators the app chose (B3, Jaeger, none), and `@opentelemetry/core` is not ours to
 * depend on. `null`s for an invalid (no-op) span context.
 */
export function toTraceContext(api: OtelApiModule, spanContext: SpanContext): StoredTraceContext {
  if (!api.isSpanContextValid(spanContext)) return { traceparent: null, tracestate: null };
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  const state = spanContext.traceState?.serialize() ?? "";
  return {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
    tracestate: state.length > 0 && state.length <= 512 ? state : null,
  };
}

/**
 * The context a task's run span starts in: the enqueue span's, read back from the row (a
 * remote parent), or `fallback` when the row has none or an unreadable one.
 */
export function fromTraceContext(api: OtelApiModule, stored: Partial<StoredTraceContext>, fallback: Context): Context {
  const match = stored.traceparent ? TRACEPARENT.exec(stored.traceparent) : null;
  if (!match) return fallback;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
    ...(stored.tracestate ? { traceState: api.createTraceState(stored.tracestate) } : {}),
  };
  if (!api.isSpanContextValid(spanContext)) return fallback;
  return api.trace.setSpanContext(fallback, spanContext);
}
