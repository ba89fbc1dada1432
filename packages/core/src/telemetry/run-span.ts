import type { Span, Tracer } from "@opentelemetry/api";
import type { TaskRecord } from "../types";
import { ERRAND_ATTRIBUTES, INSTRUMENTATION_NAME, MESSAGING, MESSAGING_SYSTEM } from "./messaging-attributes";
import { otelApi, type OtelApiModule } from "./otel-api";
import { fromTraceContext } from "./trace-context";

let tracer: { api: OtelApiModule; tracer: Tracer } | undefined;

/** The tracer `errand`, taken once (the API's proxy tracer follows an SDK registered later). */
export function tracerOf(api: OtelApiModule): Tracer {
  if (tracer?.api !== api) tracer = { api, tracer: api.trace.getTracer(INSTRUMENTATION_NAME) };
  return tracer.tracer;
}

/** What ended an attempt, for its span. */
export type RunSpanOutcome = { ok: true } | { ok: false; error: unknown };

/**
 * The consumer span of one attempt, `errand.run <task name>`: a child of the span that
 * enqueued the task (read back from the row's `traceparent`), so the trace runs on from the
 * request into the task and whatever the task calls. Each attempt is a span of its own in
 * that trace, with `errand.attempt`.
 *
 * @example
 * const span = RunSpan.start(task, startedAt);
 * const outcome = await span.run(() => runTheFunction());
 * span.end(outcome.ok ? { ok: true } : { ok: false, error: outcome.error });
 */
export class RunSpan {
  readonly #api: OtelApiModule;
  readonly #span: Span;
  /** `null`: not read yet (see `logFields`). */
  #logFields: { traceId: string; spanId: string } | undefined | null = null;

  private constructor(api: OtelApiModule, span: Span) {
    this.#api = api;
    this.#span = span;
  }

  /**
   * Starts the span; `null` without `@opentelemetry/api` (see `loadOtelApi`), or when no SDK
   * is registered and the task carries no trace context (a no-op span would cost for nothing).
   */
  static start(task: TaskRecord, startedAt: Date): RunSpan | null {
    const api = otelApi();
    if (!api) return null;
    const parent = fromTraceContext(api, task, api.context.active());
    const span = tracerOf(api).startSpan(
      `errand.run ${task.taskName}`,
      {
        kind: api.SpanKind.CONSUMER,
        startTime: startedAt,
        attributes: {
          [MESSAGING.SYSTEM]: MESSAGING_SYSTEM,
          [MESSAGING.OPERATION_TYPE]: "process",
          [MESSAGING.OPERATION_NAME]: "run",
          [MESSAGING.DESTINATION_NAME]: task.queueName,
          [MESSAGING.MESSAGE_ID]: task.id,
          [ERRAND_ATTRIBUTES.TASK]: task.taskName,
          [ERRAND_ATTRIBUTES.ATTEMPT]: task.attempts,
        },
      },
      parent,
    );
    // No SDK and no trace to continue: nothing would record or propagate it.
    if (!span.isRecording() && !api.isSpanContextValid(span.spanContext())) return null;
    return new RunSpan(api, span);
  }

  /** Runs `fn` with this span active: spans the task starts, and tasks it enqueues, are its children. */
  run<T>(fn: () => T): T {
    return this.#api.context.with(this.#api.trace.setSpan(this.#api.context.active(), this.#span), fn);
  }

  /**
   * The ids to put on log lines about this attempt; `undefined` for a no-op span. Read once:
   * every log line of the attempt carries them, and checking the ids is a regular expression.
   */
  get logFields(): { traceId: string; spanId: string } | undefined {
    if (this.#logFields === null) {
      const context = this.#span.spanContext();
      this.#logFields = this.#api.isSpanContextValid(context)
        ? { traceId: context.traceId, spanId: context.spanId }
        : undefined;
    }
    return this.#logFields;
  }

  /** Ends the span; a failure records the exception and sets the error status. */
  end(outcome: RunSpanOutcome): void {
    if (!outcome.ok) {
      const { error } = outcome;
      const exception = error instanceof Error ? error : String(error);
      this.#span.recordException(exception);
      if (error instanceof Error) this.#span.setAttribute("error.type", error.name);
      this.#span.setStatus({
        code: this.#api.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    this.#span.end();
  }
}
