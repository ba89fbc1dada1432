import { callTRPCProcedure, type AnyTRPCProcedure, type AnyTRPCRouter } from "@trpc/server";
import {
  createTaskRouter as createStandaloneTaskRouter,
  type AuthorizeRequest,
  type CreateTaskRouterOptions,
  type ExposedTask,
} from "./create-task-router";
import { isSharedEventProcedure, markSharedEventProcedure } from "./serve-subscription";

/**
 * An app's own tRPC procedure (its `publicProcedure`, `protectedProcedure`, …): anything with
 * tRPC's `.input()`, `.query()`, `.mutation()` and `.subscription()`.
 */
export interface AppProcedure {
  input: unknown;
  query: unknown;
  mutation: unknown;
  subscription: unknown;
}

/** The context an app's procedure hands its resolvers (after its middleware). */
export type ProcedureContext<TProcedure> = TProcedure extends {
  query: (resolver: (options: infer TOptions) => unknown) => unknown;
}
  ? TOptions extends { ctx: infer TContext }
    ? TContext
    : object
  : object;

/** `createTaskRouter`'s options in the procedure form: the app's procedure, `authorize` optional. */
export interface CreateTaskRouterFromProcedureOptions<
  TProcedure extends AppProcedure,
  TTasks extends readonly ExposedTask[],
> extends Omit<CreateTaskRouterOptions<ProcedureContext<TProcedure>, TTasks>, "authorize"> {
  /**
   * The app's procedure every Errand procedure is built on: its middleware (session check,
   * rate limit, logging) runs first and its context reaches `authorize` and `creator`.
   */
  procedure: TProcedure;
  /** Asked after the procedure's middleware; optional here, since that middleware may be the check. */
  authorize?: ((request: AuthorizeRequest<ProcedureContext<TProcedure>>) => boolean | Promise<boolean>) | undefined;
}

/** The procedures of a task router (a router record), typed as `createTaskRouter` types them. */
export type TaskRouterRecord<TContext extends object, TTasks extends readonly ExposedTask[]> = ReturnType<
  typeof createStandaloneTaskRouter<TContext, TTasks>
>["_def"]["record"];

/** The part of tRPC's procedure builder used at run time. */
interface RuntimeProcedureBuilder {
  input(parser: (value: unknown) => unknown): RuntimeProcedureBuilder;
  query(resolver: (options: ResolverOptions) => unknown): AnyTRPCProcedure;
  mutation(resolver: (options: ResolverOptions) => unknown): AnyTRPCProcedure;
  subscription(resolver: (options: ResolverOptions) => unknown): AnyTRPCProcedure;
}
interface ResolverOptions {
  ctx: unknown;
  input: unknown;
  signal: AbortSignal | undefined;
}

/** The app's procedure yields what Errand's yields: served alike (see `withStreamLimit`). */
function sharedLike(inner: AnyTRPCProcedure, outer: AnyTRPCProcedure): AnyTRPCProcedure {
  return isSharedEventProcedure(inner) ? markSharedEventProcedure(outer) : outer;
}

/**
 * Errand's procedures rebuilt on the app's procedure: each one runs the app's middleware,
 * then hands the context and the raw input to the standalone router's procedure at the
 * same path (which validates the input and asks `authorize`). The result is a router
 * record to nest: `createTRPCRouter({ tasks: createTaskRouter({ procedure, tasks }) })`.
 */
function taskRouterOnProcedure<TProcedure extends AppProcedure, const TTasks extends readonly ExposedTask[]>(
  options: CreateTaskRouterFromProcedureOptions<TProcedure, TTasks>,
): TaskRouterRecord<ProcedureContext<TProcedure>, TTasks> {
  const { procedure, authorize, ...rest } = options;
  const inner: AnyTRPCRouter = createStandaloneTaskRouter<ProcedureContext<TProcedure>, TTasks>({
    ...rest,
    authorize: authorize ?? (() => true),
  });
  // The standalone procedure validates; this one only carries the raw input through.
  const base = (procedure as unknown as RuntimeProcedureBuilder).input((value) => value);
  const record: Record<string, unknown> = {};
  for (const [path, innerProcedure] of Object.entries(inner._def.procedures as Record<string, AnyTRPCProcedure>)) {
    const type = innerProcedure._def.type;
    const call = ({ ctx, input, signal }: ResolverOptions): Promise<unknown> =>
      callTRPCProcedure({
        router: inner,
        path,
        getRawInput: () => Promise.resolve(input),
        ctx,
        type,
        signal,
        batchIndex: 0,
      });
    const outer =
      type === "subscription"
        ? sharedLike(
            innerProcedure,
            base.subscription(async function* (resolverOptions) {
              yield* (await call(resolverOptions)) as AsyncIterable<unknown>;
            }),
          )
        : type === "mutation"
          ? base.mutation(call)
          : base.query(call);
    const segments = path.split(".");
    let node = record;
    for (const segment of segments.slice(0, -1)) node = (node[segment] ??= {}) as Record<string, unknown>;
    node[segments.at(-1)!] = outer;
  }
  return record as TaskRouterRecord<ProcedureContext<TProcedure>, TTasks>;
}

/**
 * A tRPC router over Errand: enqueue the tasks you list, follow results, list, count,
 * cancel and retry.
 *
 * Standalone, it is a router of its own (mount it at `/api/trpc`, or nest it in your
 * router), and `authorize` is asked before every procedure. Given your app's `procedure`,
 * it is a router record built on that procedure — your middleware and context, your
 * transformer and error formatter — to nest in your router; `authorize` is then optional.
 *
 * @example
 * // Standalone, or nested as is:
 * export const tasksRouter = createTaskRouter({ tasks: [sendWelcomeEmail], authorize: ({ ctx }: { ctx: Ctx }) => Boolean(ctx.user) });
 * // On the app's own procedure (create-t3-app's server/api/root.ts):
 * export const appRouter = createTRPCRouter({
 *   post: postRouter,
 *   tasks: createTaskRouter({ procedure: protectedProcedure, tasks: [sendWelcomeEmail] }),
 * });
 */
export function createTaskRouter<TProcedure extends AppProcedure, const TTasks extends readonly ExposedTask[]>(
  options: CreateTaskRouterFromProcedureOptions<TProcedure, TTasks>,
): TaskRouterRecord<ProcedureContext<TProcedure>, TTasks>;
export function createTaskRouter<
  TContext extends object = object,
  const TTasks extends readonly ExposedTask[] = readonly ExposedTask[],
>(options: CreateTaskRouterOptions<TContext, TTasks>): ReturnType<typeof createStandaloneTaskRouter<TContext, TTasks>>;
export function createTaskRouter(
  options: CreateTaskRouterOptions<object> | CreateTaskRouterFromProcedureOptions<AppProcedure, readonly ExposedTask[]>,
): unknown {
  if ("procedure" in options && options.procedure !== undefined) return taskRouterOnProcedure(options);
  return createStandaloneTaskRouter(options as CreateTaskRouterOptions<object>);
}
