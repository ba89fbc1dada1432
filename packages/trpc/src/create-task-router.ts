import { initTRPC, TRPCError, type TRPCRouterRecord } from "@trpc/server";
// BuiltRouter is exported from the root only since tRPC 11.2 (as TRPCBuiltRouter); this path has it from 11.0.
import type { BuiltRouter } from "@trpc/server/unstable-core-do-not-import";
import { z } from "zod";
import {
  getBackend,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  TASK_STATUSES,
  type AnyTask,
  type Backend,
  TaskResultMismatch,
  type TaskCreator,
  type TaskDependent,
} from "@errand/core";
import { USING_OPTIONS } from "@errand/core/internal";
import { buildTaskProcedureTree, type TaskProcedureTree } from "./task-procedures";
import {
  toTaskRecordJSON,
  toTaskStatsJSON,
  type TaskListPageJSON,
  type TaskRecordJSON,
  type TaskStatsJSON,
} from "./task-record-json";
import { toTRPCError } from "./to-trpc-error";
import { formatZodIssues, readableInput } from "./format-zod-issues";
import { optionRuleSchema, queueNameSchema, taskNameSchema } from "./option-rule-schema";
import { watchTasks, type TaskWatchEvent } from "./watch-tasks";
import { markSharedEventProcedure } from "./serve-subscription";
import { queueProcedures } from "./queue-procedures";
import { askAuthorize, authorizeFirst, type Authorize, type AuthorizeRequest } from "./authorize-first";

export type { AuthorizeRequest, TaskRouterAction } from "./authorize-first";

/**
 * A task the router may enqueue, optionally with a schema (zod or anything with `parse`)
 * that the argument tuple must pass — stricter than the JSON check every task gets.
 */
export type ExposedTask = AnyTask | { task: AnyTask; schema: ArgsSchema };

/** Anything with zod's `safeParse`, applied to the argument array. */
export interface ArgsSchema {
  safeParse(
    value: unknown,
  ): { success: true; data: unknown } | { success: false; error: { issues: readonly z.core.$ZodIssue[] } };
}

export interface CreateTaskRouterOptions<
  TContext extends object,
  TTasks extends readonly ExposedTask[] = readonly ExposedTask[],
> {
  /**
   * The only tasks `enqueue` accepts, by their `name`; each is also exposed, typed, under
   * `tasks.<its name as a path>`.
   */
  tasks: TTasks;
  /**
   * Asked before every procedure, before its input is read (`beforeInput: true`, no
   * `taskName`/`id` yet), and again with the validated `taskName`/`id` for the procedures that
   * name one; `false` (or a throw) is `FORBIDDEN`, the same whatever the input. This is where
   * your session or token check goes.
   *
   * @example authorize: ({ ctx, action }) => action === "list" || ctx.user?.isStaff === true
   * @example authorize: ({ ctx, action, taskName, beforeInput }) =>
   *   action !== "enqueue" || beforeInput || ctx.user?.mayEnqueue(taskName!) === true
   */
  authorize: Authorize<TContext>;
  /** The backend to read and cancel through, or its alias. Default: the "default" backend. */
  backend?: Backend | string | undefined;
  /** Who to record as the creator of tasks enqueued through the router. */
  creator?: ((ctx: TContext) => TaskCreator | null | undefined) | undefined;
}

const argsSchema = z.array(z.unknown()).max(100, "at most 100 arguments").default([]);
const MAX_DELAY_SECONDS = 366 * 24 * 60 * 60;
const statusSchema = z.enum(TASK_STATUSES);
const idSchema = z.object({ id: z.string().trim().min(1, "id must not be empty").max(100, "id is too long") }).strict();

const enqueueOptionsSchema = z
  .object({
    priority: optionRuleSchema<number>(USING_OPTIONS.priority).optional(),
    /** Seconds from now; that it is not negative is using()'s to check, the cap the router's. */
    delay: z.number().max(MAX_DELAY_SECONDS, "delay must be at most a year").optional(),
    /** ISO 8601 instant. */
    runAfter: z.iso.datetime({ offset: true, message: "runAfter must be an ISO 8601 date-time" }).optional(),
    /** While a task with this key is PENDING or RUNNING, nothing is stored and that task is answered. */
    uniqueKey: optionRuleSchema<string>(USING_OPTIONS.uniqueKey).optional(),
    /**
     * Ids of tasks (of the router's backend) that must all succeed before this one runs. That
     * each is a task id, and how many may be listed, is using()'s to check (a BAD_REQUEST).
     */
    dependsOn: z.array(z.string()).optional(),
  })
  .strict()
  .refine((o) => o.delay === undefined || o.runAfter === undefined, { message: "Give delay or runAfter, not both" });

const listSchema = z
  .object({
    status: statusSchema.optional(),
    queueName: queueNameSchema.optional(),
    taskName: taskNameSchema.optional(),
    // Opaque to callers; today a sequence number. Checked so that garbage is a BAD_REQUEST, not page one.
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, "cursor must be the nextCursor of a previous page")
      .optional(),
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
    /** Sent by tRPC's infinite queries; pages only go forward (older), so it is ignored. */
    direction: z.enum(["forward", "backward"]).optional(),
  })
  .strict();

const watchSchema = z.union([
  idSchema,
  z
    .object({
      status: statusSchema.optional(),
      queueName: queueNameSchema.optional(),
      taskName: taskNameSchema.optional(),
    })
    .strict(),
]);

/**
 * A tRPC router over Errand: enqueue the tasks you list, follow results, list, count,
 * cancel and retry. Every procedure asks `authorize` first, before its input is read: a refused
 * caller gets the same FORBIDDEN whatever it sent. Dates travel as ISO strings.
 *
 * @example
 * export const tasksRouter = createTaskRouter({
 *   tasks: [sendWelcomeEmail, { task: buildReport, schema: z.tuple([z.string()]) }],
 *   authorize: ({ ctx }) => Boolean(ctx.user),
 * });
 * // app/api/trpc/[trpc]/route.ts
 * const handler = (req: Request) => fetchRequestHandler({ endpoint: "/api/trpc", req, router: tasksRouter, createContext });
 */
export function createTaskRouter<
  TContext extends object = object,
  const TTasks extends readonly ExposedTask[] = readonly ExposedTask[],
>(options: CreateTaskRouterOptions<TContext, TTasks>) {
  const exposed = new Map<string, { task: AnyTask; schema: ArgsSchema | null }>();
  for (const entry of options.tasks) {
    const item = "task" in entry && typeof entry.task === "object" ? entry : { task: entry as AnyTask, schema: null };
    const ownSchema = (item.task as { schema?: ArgsSchema }).schema;
    exposed.set(item.task.name, { task: item.task, schema: item.schema ?? ownSchema ?? null });
  }
  const taskNames = [...exposed.keys()];
  const resolveBackend = (): Backend =>
    typeof options.backend === "object" ? options.backend : getBackend(options.backend ?? "default");

  const root = initTRPC.context<TContext>().create({
    // `watch` streams: a ping every 10 s keeps proxies from closing a quiet stream, and a
    // client that hears nothing for 25 s reconnects.
    sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 25_000 } },
    errorFormatter({ shape, error }) {
      // A refusal says nothing but FORBIDDEN: not what `authorize` threw.
      const cause =
        error.code === "FORBIDDEN" ? undefined : (error.cause as { issues?: unknown; code?: unknown } | undefined);
      const issues = cause && Array.isArray(cause.issues) ? (cause.issues as z.core.$ZodIssue[]) : null;
      return {
        ...shape,
        message: issues ? formatZodIssues(issues) : shape.message,
        data: {
          ...shape.data,
          errandCode: typeof cause?.code === "string" && !issues ? cause.code : null,
          issues: issues?.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })) ?? null,
        },
      };
    },
  });

  /**
   * The base of every procedure of this router: `authorize` is asked about the procedure's
   * action (its name) before anything else, its input unread. A procedure added here gets
   * that by construction.
   */
  const t = { router: root.router, procedure: root.procedure.use(authorizeFirst(options.authorize)) };

  /** Asks `authorize` again, now with the validated task name or id, then runs the procedure. */
  async function guarded<T>(
    request: Omit<AuthorizeRequest<TContext>, "beforeInput">,
    run: () => Promise<T>,
  ): Promise<T> {
    await askAuthorize(options.authorize, { ...request, beforeInput: false });
    return mapped(run);
  }

  /** Runs the procedure, mapping anything thrown to a tRPC code. */
  async function mapped<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toTRPCError(error);
    }
  }

  /** Checks the arguments of a listed task (its schema, then JSON) and enqueues it. */
  async function enqueueExposed(request: {
    name: string;
    args: unknown[];
    options: z.infer<typeof enqueueOptionsSchema> | undefined;
    ctx: TContext;
  }): Promise<TaskRecordJSON> {
    const { name, args: input, options: o = {}, ctx } = request;
    const entry = exposed.get(name);
    if (!entry) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Unknown task ${JSON.stringify(name)}: this endpoint enqueues only ${taskNames.map((n) => `"${n}"`).join(", ") || "no tasks"}.`,
      });
    }
    let args = input;
    if (entry.schema) {
      const parsed = entry.schema.safeParse(args);
      if (!parsed.success) {
        throw new TRPCError({ code: "BAD_REQUEST", message: formatZodIssues(parsed.error.issues, "args") });
      }
      args = parsed.data as unknown[];
    }
    entry.task.validateArgs(args);
    const configured = entry.task.using({
      priority: o.priority,
      delay: o.delay,
      runAfter: o.runAfter === undefined ? undefined : new Date(o.runAfter),
      uniqueKey: o.uniqueKey,
      dependsOn: o.dependsOn,
      creator: options.creator?.(ctx) ?? undefined,
    });
    const result = await configured.enqueue(...args);
    return toTaskRecordJSON(result.toJSON());
  }

  const taskEnqueueInput = z
    .object({
      args: argsSchema,
      options: enqueueOptionsSchema.optional(),
    })
    .strict();

  /** `enqueue` and `getResult` of one listed task, for `tasks.<its name as a path>`. */
  const proceduresFor = (name: string) => ({
    enqueue: t.procedure
      .input(readableInput(taskEnqueueInput))
      .mutation(({ ctx, input }) =>
        guarded({ ctx: ctx as unknown as TContext, action: "enqueue", taskName: name }, () =>
          enqueueExposed({ name, args: input.args, options: input.options, ctx: ctx as unknown as TContext }),
        ),
      ),
    getResult: t.procedure.input(readableInput(idSchema)).query(({ ctx, input }) =>
      guarded({ ctx: ctx as unknown as TContext, action: "getResult", taskName: name, id: input.id }, async () => {
        const record = await resolveBackend().getRecord(input.id);
        if (record.taskName !== name) throw new TaskResultMismatch(input.id, name, record.taskName);
        return toTaskRecordJSON(record);
      }),
    ),
  });
  const taskTree = buildTaskProcedureTree(taskNames, proceduresFor) as TRPCRouterRecord;

  const enqueueInput = z
    .object({
      // Whether it is listed is said after `authorize` has seen the name (enqueueExposed).
      task: taskNameSchema,
      args: argsSchema,
      options: enqueueOptionsSchema.optional(),
    })
    .strict();

  const router = t.router({
    /** Every listed task, typed from its function: `tasks.accounts.sendWelcomeEmail.enqueue`. */
    tasks: taskTree,

    /** Enqueues one of the listed tasks. Arguments are checked before anything is stored. */
    enqueue: t.procedure.input(readableInput(enqueueInput)).mutation(({ ctx, input }) =>
      guarded({ ctx: ctx as unknown as TContext, action: "enqueue", taskName: input.task }, () =>
        enqueueExposed({
          name: input.task,
          args: input.args,
          options: input.options,
          ctx: ctx as unknown as TContext,
        }),
      ),
    ),

    /** One task's current state. */
    getResult: t.procedure
      .input(readableInput(idSchema))
      .query(({ ctx, input }) =>
        guarded(
          { ctx: ctx as unknown as TContext, action: "getResult", id: input.id },
          async (): Promise<TaskRecordJSON> => toTaskRecordJSON(await resolveBackend().getRecord(input.id)),
        ),
      ),

    /** The tasks that wait (or waited) on this one: what it unblocks. Asked of `authorize` as "dependents". */
    dependents: t.procedure
      .input(readableInput(idSchema))
      .query(({ ctx, input }) =>
        guarded(
          { ctx: ctx as unknown as TContext, action: "dependents", id: input.id },
          async (): Promise<TaskDependent[]> => resolveBackend().dependents(input.id),
        ),
      ),

    /** Tasks newest first, filtered, a page at a time. */
    list: t.procedure.input(readableInput(listSchema.optional())).query(({ input }) =>
      mapped(async (): Promise<TaskListPageJSON> => {
        const { direction: _direction, ...filters } = input ?? { limit: DEFAULT_LIST_LIMIT };
        const page = await resolveBackend().list(filters);
        return { items: page.items.map(toTaskRecordJSON), nextCursor: page.nextCursor };
      }),
    ),

    /** Counts by status and queue, and tasks finished per minute over the last hour. */
    stats: t.procedure.query(() =>
      mapped(async (): Promise<TaskStatsJSON> => toTaskStatsJSON(await resolveBackend().stats())),
    ),

    /**
     * Pushes changes as they are stored (SSE with `httpSubscriptionLink`): `{ id }` sends the
     * task now and after each change, ending once it finished; filters (`status`, `queueName`,
     * `taskName`, or none) send which tasks changed, and `resync` when the list must be
     * refetched. Fed by one LISTEN connection per server process, whatever the subscribers.
     * SERVICE_UNAVAILABLE while the feed cannot reach Postgres (poll meanwhile; the stream
     * reconnects); METHOD_NOT_SUPPORTED where the backend cannot LISTEN.
     */
    watch: markSharedEventProcedure(
      t.procedure.input(readableInput(watchSchema)).subscription(async function* ({
        ctx,
        input,
        signal,
      }): AsyncGenerator<TaskWatchEvent, void, undefined> {
        await askAuthorize(options.authorize, {
          ctx: ctx as unknown as TContext,
          action: "watch",
          beforeInput: false,
          id: "id" in input ? input.id : undefined,
          taskName: "taskName" in input ? input.taskName : undefined,
        });
        try {
          yield* watchTasks({ backend: resolveBackend(), input, signal });
        } catch (error) {
          throw toTRPCError(error);
        }
      }),
    ),

    /** PENDING → FAILED with a TaskCancelled error; a RUNNING task's worker aborts it. CONFLICT once it finished. */
    cancel: t.procedure
      .input(readableInput(idSchema))
      .mutation(({ ctx, input }) =>
        guarded(
          { ctx: ctx as unknown as TContext, action: "cancel", id: input.id },
          async (): Promise<TaskRecordJSON> => toTaskRecordJSON(await resolveBackend().cancel(input.id)),
        ),
      ),

    /** FAILED → PENDING, same row and arguments. CONFLICT unless it failed. */
    retry: t.procedure
      .input(readableInput(idSchema))
      .mutation(({ ctx, input }) =>
        guarded({ ctx: ctx as unknown as TContext, action: "retry", id: input.id }, async (): Promise<TaskRecordJSON> =>
          toTaskRecordJSON(await resolveBackend().retry(input.id)),
        ),
      ),

    /** `queues`, `pauseQueue`, `resumeQueue`, `retryMany`, `cancelMany` (see queue-procedures.ts). */
    ...queueProcedures<TContext>({ procedure: t.procedure, guarded, resolveBackend }),
  });
  // The `tasks` branch typed from the listed tasks' names and functions (built at run time above).
  type TypedRecord = Omit<(typeof router)["_def"]["record"], "tasks"> & {
    tasks: TaskProcedureTree<TTasks> extends infer T extends TRPCRouterRecord ? T : Record<never, never>;
  };
  return router as unknown as BuiltRouter<(typeof router)["_def"]["_config"]["$types"], TypedRecord>;
}

/** The router's type, for `createTRPCClient<TaskRouter>` and the React hooks. */
export type TaskRouter = ReturnType<typeof createTaskRouter<object>>;
