import type * as OtelApi from "@opentelemetry/api";

/** `@opentelemetry/api`, as loaded: an optional peer dependency. */
export type OtelApiModule = typeof OtelApi;

// A variable, not a literal: bundlers must not try to resolve a package the app may not have.
const OTEL_API = "@opentelemetry/api";

/** `undefined`: not looked for yet; `null`: not installed. */
let loaded: OtelApiModule | null | undefined;
let loading: Promise<OtelApiModule | null> | undefined;

/**
 * Loads `@opentelemetry/api` once, if the app has it. Without it (or if it fails to load)
 * every telemetry call is skipped; with it and no SDK registered, the API's own no-op
 * tracer and meter answer, at a cost of well under a microsecond a call.
 *
 * @example
 * const api = await loadOtelApi();
 * api?.trace.getActiveSpan();
 */
export function loadOtelApi(): Promise<OtelApiModule | null> {
  if (loaded !== undefined) return Promise.resolve(loaded);
  loading ??= load().then((module) => (loaded = module));
  return loading;
}

async function load(): Promise<OtelApiModule | null> {
  try {
    const module = (await import(
      /* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ OTEL_API
    )) as OtelApiModule & {
      default?: OtelApiModule;
    };
    // The CommonJS build seen through `import()` may only have a default export.
    return typeof module.trace === "object" ? module : (module.default ?? null);
  } catch {
    // Not installed (or not loadable here): telemetry is off.
    return null;
  }
}

/** The API if `loadOtelApi()` has found it; `null` before that or without it. */
export function otelApi(): OtelApiModule | null {
  return loaded ?? null;
}

/** Whether `loadOtelApi()` has finished (found it or not): `otelApi()` is then final. */
export function otelApiLooked(): boolean {
  return loaded !== undefined;
}

/**
 * Resolves once `@opentelemetry/api` has been looked for (found or not): a worker awaits it
 * before its first attempt, whose span needs the API at hand.
 */
export async function telemetryReady(): Promise<void> {
  await loadOtelApi();
}

/** `traceId` and `spanId` of the active span, when an SDK made a real one; else `undefined`. */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const api = loaded;
  const context = api?.trace.getActiveSpan()?.spanContext();
  if (!api || !context || !api.isSpanContextValid(context)) return undefined;
  return { traceId: context.traceId, spanId: context.spanId };
}
