import type { EnqueueRequest, TaskRecord } from "../types";
import { ERRAND_ATTRIBUTES, MESSAGING, MESSAGING_SYSTEM } from "./messaging-attributes";
import { tracerOf } from "./run-span";
import { loadOtelApi, otelApi, otelApiLooked } from "./otel-api";
import { toTraceContext } from "./trace-context";
import { recordEnqueued } from "./errand-metrics";

/**
 * Runs an enqueue inside a producer span `errand.enqueue <task name>` (a child of the active
 * span: the server action's, the HTTP request's, or the running task's) and stores the span's
 * W3C trace context on every row, so each task's run span continues the trace. Counts the
 * stored tasks in `errand.tasks.enqueued`. Without `@opentelemetry/api`, just runs `store`.
 *
 * @example
 * const records = await tracedEnqueue("emails.send", requests, (r) => backend.enqueueMany(r));
 */
export async function tracedEnqueue(
  taskName: string,
  requests: EnqueueRequest[],
  store: (requests: EnqueueRequest[]) => Promise<TaskRecord[]>,
): Promise<TaskRecord[]> {
  const api = otelApiLooked() ? otelApi() : await loadOtelApi();
  if (!api) return counted(taskName, await store(requests));
  const queueName = requests[0]!.queueName;
  const span = tracerOf(api).startSpan(`errand.enqueue ${taskName}`, {
    kind: api.SpanKind.PRODUCER,
    attributes: {
      [MESSAGING.SYSTEM]: MESSAGING_SYSTEM,
      [MESSAGING.OPERATION_TYPE]: "send",
      [MESSAGING.OPERATION_NAME]: "enqueue",
      [MESSAGING.DESTINATION_NAME]: queueName,
      [ERRAND_ATTRIBUTES.TASK]: taskName,
      ...(requests.length > 1 ? { [MESSAGING.BATCH_MESSAGE_COUNT]: requests.length } : {}),
    },
  });
  const { traceparent, tracestate } = toTraceContext(api, span.spanContext());
  const traced = traceparent ? requests.map((r) => ({ ...r, traceparent, tracestate })) : requests;
  try {
    const records = await api.context.with(api.trace.setSpan(api.context.active(), span), () => store(traced));
    if (records.length === 1) span.setAttribute(MESSAGING.MESSAGE_ID, records[0]!.id);
    return counted(taskName, records);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Counts what was stored (not a deduplicated enqueue, which stored nothing). */
function counted(taskName: string, records: TaskRecord[]): TaskRecord[] {
  let stored = 0;
  for (const record of records) if (!record.deduplicated) stored++;
  if (stored > 0) recordEnqueued(records[0]!.queueName, taskName, stored);
  return records;
}
