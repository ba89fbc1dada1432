/**
 * OpenTelemetry's messaging semantic conventions (v1.27+), spelled out rather than imported
 * from `@opentelemetry/semantic-conventions`: the messaging names live in its "incubating"
 * entry, which may change between minor versions, and Errand adds no dependency for six
 * strings.
 */
export const MESSAGING = {
  SYSTEM: "messaging.system",
  OPERATION_TYPE: "messaging.operation.type",
  OPERATION_NAME: "messaging.operation.name",
  DESTINATION_NAME: "messaging.destination.name",
  MESSAGE_ID: "messaging.message.id",
  BATCH_MESSAGE_COUNT: "messaging.batch.message_count",
} as const;

/** `messaging.system` of every Errand span. */
export const MESSAGING_SYSTEM = "errand";

/** Errand's own span attributes. */
export const ERRAND_ATTRIBUTES = {
  /** Which attempt a run span is (1 for the first). */
  ATTEMPT: "errand.attempt",
  /** The task's name. */
  TASK: "errand.task",
} as const;

/** The tracer's and the meter's name. */
export const INSTRUMENTATION_NAME = "errand";
