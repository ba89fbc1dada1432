import { TRPCError } from "@trpc/server";

/** What `authorize` is asked about: the name of the procedure called (the last segment of its path). */
export type TaskRouterAction =
  | "enqueue"
  | "getResult"
  | "dependents"
  | "list"
  | "stats"
  | "cancel"
  | "retry"
  | "watch"
  | "queues"
  | "pauseQueue"
  | "resumeQueue"
  | "retryMany"
  | "cancelMany";

/**
 * The question `authorize` answers. It is asked twice for a procedure that names a task or a
 * result: first with `{ ctx, action }` and `beforeInput: true`, before the input is read (a
 * caller refused here learns nothing from its input: every refusal is the same FORBIDDEN), then
 * with the validated `taskName` / `id` and `beforeInput: false`.
 */
export interface AuthorizeRequest<TContext> {
  ctx: TContext;
  action: TaskRouterAction;
  /**
   * `true` on the first ask, before the input is read: `taskName` and `id` are not known yet.
   * Refuse here whoever may not use `action` at all; allow whoever may use it on some task.
   */
  beforeInput?: boolean | undefined;
  /** The task to enqueue, for `enqueue`; the task name filter of `watch`. */
  taskName?: string | undefined;
  /** The result concerned, for `getResult`, `dependents`, `cancel`, `retry` and `watch` of one task. */
  id?: string | undefined;
  /** The queue concerned, for `pauseQueue`, `resumeQueue`, and the filter of `retryMany`/`cancelMany`. */
  queueName?: string | undefined;
}

/** The app's `authorize`: `true` lets the call through; `false`, anything else or a throw is FORBIDDEN. */
export type Authorize<TContext> = (request: AuthorizeRequest<TContext>) => boolean | Promise<boolean>;

/**
 * Asks `authorize` and throws `FORBIDDEN` unless it answers `true`. The error is the same
 * whatever the input was and whichever ask refused (`Not allowed to <action>.`); what
 * `authorize` threw is kept as `cause`, for the server's `onError`, never sent to the client.
 */
export async function askAuthorize<TContext>(
  authorize: Authorize<TContext>,
  request: AuthorizeRequest<TContext>,
): Promise<void> {
  let allowed: unknown;
  let cause: unknown;
  try {
    allowed = await authorize(request);
  } catch (error) {
    allowed = false;
    cause = error;
  }
  if (allowed !== true) throw forbidden(request.action, cause);
}

/** The one refusal every caller gets. */
export function forbidden(action: string, cause?: unknown): TRPCError {
  return new TRPCError({ code: "FORBIDDEN", message: `Not allowed to ${action}.`, cause });
}

/** The action of a procedure: the last segment of its path (`tasks.demo.add.enqueue` → `enqueue`). */
export function actionOf(path: string): TaskRouterAction {
  return path.slice(path.lastIndexOf(".") + 1) as TaskRouterAction;
}

/**
 * A tRPC middleware that asks `authorize` about the procedure's action before anything else
 * runs — before its input is read or validated. Put it first on the base procedure, and every
 * procedure built from that base gets it:
 *
 * @example
 * const procedure = t.procedure.use(authorizeFirst(authorize));
 * const router = t.router({ pauseQueue: procedure.input(schema).mutation(...) }); // asked as "pauseQueue"
 */
export function authorizeFirst<TContext>(authorize: Authorize<TContext>) {
  // `ctx` typed loosely: tRPC hands a middleware its own rendering of the context type.
  return async function authorizeFirstMiddleware<T>(opts: {
    ctx: unknown;
    path: string;
    next: () => Promise<T>;
  }): Promise<T> {
    await askAuthorize(authorize, { ctx: opts.ctx as TContext, action: actionOf(opts.path), beforeInput: true });
    return opts.next();
  };
}
