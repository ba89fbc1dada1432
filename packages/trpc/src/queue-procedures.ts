import { z } from "zod";
import type { TRPCMutationProcedure, TRPCProcedureBuilder, TRPCQueryProcedure } from "@trpc/server";
import type { Backend, BulkTaskFilter } from "@errand/core";
import { readableInput } from "./format-zod-issues";
import { queueNameSchema, taskNameSchema } from "./option-rule-schema";
import type { AuthorizeRequest } from "./create-task-router";

/** One queue as the `queues` procedure sends it (dates as ISO strings). */
export interface QueueJSON {
  name: string;
  /** Paused: no worker starts its tasks until it is resumed; enqueues still wait PENDING. */
  paused: boolean;
  pending: number;
  running: number;
  failed: number;
  /** `runAfter` of its oldest PENDING task that is due, if any. */
  oldestDueAt: string | null;
  /** At most this many of its tasks RUNNING at once, all workers together; `null`: no limit. */
  concurrency: number | null;
  /** At most `limit` starts per `periodSeconds`, all workers together; `null`: no limit. */
  rateLimit: { limit: number; periodSeconds: number } | null;
}

/** What `retryMany` and `cancelMany` answer. */
export interface BulkActionJSON {
  /** How many tasks were retried or cancelled. */
  count: number;
}

/** The filter of `retryMany`/`cancelMany` through tRPC: every field optional, dates as ISO strings. */
export interface BulkFilterInput<S extends "FAILED" | "PENDING"> {
  /** The only status the action applies to (and its default). */
  status?: S | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
  /** Only tasks enqueued before this instant (ISO 8601). */
  enqueuedBefore?: string | undefined;
  /** Only tasks that finished before this instant (ISO 8601). */
  finishedBefore?: string | undefined;
}

/** The types of the flow-control procedures, as the client sees them. */
// A type alias, not an interface: a router record needs the implicit index signature.
export type QueueProcedures = {
  queues: TRPCQueryProcedure<{ input: void; output: QueueJSON[]; meta: object }>;
  pauseQueue: TRPCMutationProcedure<{ input: { name: string }; output: { name: string; paused: true }; meta: object }>;
  resumeQueue: TRPCMutationProcedure<{
    input: { name: string };
    output: { name: string; paused: false };
    meta: object;
  }>;
  retryMany: TRPCMutationProcedure<{
    input: BulkFilterInput<"FAILED"> | undefined;
    output: BulkActionJSON;
    meta: object;
  }>;
  cancelMany: TRPCMutationProcedure<{
    input: BulkFilterInput<"PENDING"> | undefined;
    output: BulkActionJSON;
    meta: object;
  }>;
};

const queueInput = z.object({ name: z.string().trim().pipe(queueNameSchema) }).strict();

const instant = (field: string) =>
  z.iso.datetime({ offset: true, message: `${field} must be an ISO 8601 date-time` }).optional();

/** The filter of the bulk actions; `status` is the only one each action accepts. */
function bulkFilter<S extends string>(status: S) {
  return z
    .object({
      status: z
        .literal(status, { error: `status must be "${status}" (the only tasks this action applies to)` })
        .default(status),
      queueName: queueNameSchema.optional(),
      taskName: taskNameSchema.optional(),
      /** Only tasks enqueued before this instant. */
      enqueuedBefore: instant("enqueuedBefore"),
      /** Only tasks that finished before this instant. */
      finishedBefore: instant("finishedBefore"),
    })
    .strict();
}

const retryManyInput = bulkFilter("FAILED");
const cancelManyInput = bulkFilter("PENDING");

function toBackendFilter(input: z.output<typeof retryManyInput> | z.output<typeof cancelManyInput>): BulkTaskFilter {
  const { enqueuedBefore, finishedBefore, ...rest } = input;
  return {
    ...rest,
    ...(enqueuedBefore ? { enqueuedBefore: new Date(enqueuedBefore) } : {}),
    ...(finishedBefore ? { finishedBefore: new Date(finishedBefore) } : {}),
  };
}

/**
 * The flow-control procedures of `createTaskRouter`: `queues`, `pauseQueue`, `resumeQueue`,
 * `retryMany` and `cancelMany`. Each asks `authorize` under its own action name (the queue,
 * task name and status concerned included), and checks its input with zod.
 */
export function queueProcedures<TContext>(deps: {
  /** The router's `t.procedure`; its record is typed by `QueueProcedures`, not inferred. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  procedure: TRPCProcedureBuilder<any, any, any, any, any, any, any, any, any>;
  guarded: <T>(request: AuthorizeRequest<TContext>, run: () => Promise<T>) => Promise<T>;
  resolveBackend: () => Backend;
}): QueueProcedures {
  const { procedure, guarded } = deps;
  const backend = deps.resolveBackend;
  const procedures = {
    /** Every queue: paused or not, its depth, running against its limit, oldest due task. */
    queues: procedure.query(({ ctx }: { ctx: unknown }): Promise<QueueJSON[]> =>
      guarded({ ctx: ctx as TContext, action: "queues" }, async () =>
        (await backend().queues()).map((q) => ({
          name: q.name,
          paused: q.paused,
          pending: q.pending,
          running: q.running,
          failed: q.failed,
          oldestDueAt: q.oldestDueAt ? q.oldestDueAt.toISOString() : null,
          concurrency: q.concurrency ?? null,
          rateLimit: q.rateLimit ? { limit: q.rateLimit.limit, periodSeconds: q.rateLimit.periodSeconds } : null,
        })),
      ),
    ),

    /** No worker starts this queue's tasks until it is resumed (within a second, on every host). */
    pauseQueue: procedure
      .input(readableInput(queueInput))
      .mutation(
        ({
          ctx,
          input,
        }: {
          ctx: unknown;
          input: z.output<typeof queueInput>;
        }): Promise<{ name: string; paused: true }> =>
          guarded({ ctx: ctx as TContext, action: "pauseQueue", queueName: input.name }, async () => {
            await backend().pauseQueue(input.name);
            return { name: input.name, paused: true as const };
          }),
      ),

    /** Workers start this queue's tasks again. */
    resumeQueue: procedure
      .input(readableInput(queueInput))
      .mutation(
        ({
          ctx,
          input,
        }: {
          ctx: unknown;
          input: z.output<typeof queueInput>;
        }): Promise<{ name: string; paused: false }> =>
          guarded({ ctx: ctx as TContext, action: "resumeQueue", queueName: input.name }, async () => {
            await backend().resumeQueue(input.name);
            return { name: input.name, paused: false as const };
          }),
      ),

    /** FAILED → PENDING for every task the filter matches, in batches. Answers how many. */
    retryMany: procedure
      .input(readableInput(retryManyInput.optional()))
      .mutation(
        ({
          ctx,
          input,
        }: {
          ctx: unknown;
          input: z.output<typeof retryManyInput> | undefined;
        }): Promise<BulkActionJSON> =>
          guarded(
            {
              ctx: ctx as TContext,
              action: "retryMany",
              queueName: input?.queueName,
              taskName: input?.taskName,
            },
            async () => ({ count: await backend().retryMany(toBackendFilter(input ?? retryManyInput.parse({}))) }),
          ),
      ),

    /** PENDING → FAILED (`TaskCancelled`) for every task the filter matches, in batches. Answers how many. */
    cancelMany: procedure
      .input(readableInput(cancelManyInput.optional()))
      .mutation(
        ({
          ctx,
          input,
        }: {
          ctx: unknown;
          input: z.output<typeof cancelManyInput> | undefined;
        }): Promise<BulkActionJSON> =>
          guarded(
            {
              ctx: ctx as TContext,
              action: "cancelMany",
              queueName: input?.queueName,
              taskName: input?.taskName,
            },
            async () => ({ count: await backend().cancelMany(toBackendFilter(input ?? cancelManyInput.parse({}))) }),
          ),
      ),
  };
  // Built on the untyped builder; the record is typed by `QueueProcedures` above.
  return procedures as unknown as QueueProcedures;
}
