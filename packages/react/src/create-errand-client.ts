import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
} from "@trpc/client";
import { EventSource as FetchEventSource } from "eventsource";
import type { TaskRouter } from "@errand/trpc";

/** Your app's tRPC transformer (superjson, or `{ input, output }`), as given to `initTRPC.create()`. */
export type ErrandTransformer =
  | { serialize(object: unknown): unknown; deserialize(object: unknown): unknown }
  | {
      input: { serialize(object: unknown): unknown; deserialize(object: unknown): unknown };
      output: { serialize(object: unknown): unknown; deserialize(object: unknown): unknown };
    };

/** Where Errand's procedures are and how to reach them. */
export interface ErrandClientOptions {
  /** The tRPC endpoint: Errand's own mount, or your app's (`/api/trpc`). Default "/api/trpc". */
  url?: string | undefined;
  /**
   * Where Errand's procedures sit in your app's router when nested there, e.g. "tasks" for
   * `createTRPCRouter({ tasks: tasksRouter })`. Default: at the root.
   */
  path?: string | undefined;
  /** Your app's transformer when Errand is nested in a router that has one (superjson). */
  transformer?: ErrandTransformer | undefined;
  /** Headers for every request (the push stream too), e.g. an authorization token. */
  headers?: Record<string, string> | (() => Record<string, string>) | undefined;
}

/** Prefixes every call's path: `getResult` becomes `tasks.getResult`. */
function pathPrefixLink(prefix: string): TRPCLink<TaskRouter> {
  return () =>
    ({ op, next }) =>
      next({ ...op, path: `${prefix}.${op.path}` });
}

/**
 * A tRPC client of the task router, wherever it is mounted: `ErrandProvider` makes one from
 * its props; make your own to call Errand outside React.
 *
 * @example
 * const client = createErrandClient({ url: "/api/trpc", path: "tasks", transformer: superjson });
 * const record = await client.getResult.query({ id });
 */
export function createErrandClient(options: ErrandClientOptions = {}): TRPCClient<TaskRouter> {
  const { url = "/api/trpc", path, headers, transformer } = options;
  if (path !== undefined && !/^[^.]+(\.[^.]+)*$/.test(path)) {
    throw new Error(`path must be a dotted procedure path such as "tasks", got ${JSON.stringify(path)}.`);
  }
  const readHeaders = typeof headers === "function" ? headers : () => headers ?? {};
  // The task router's own type has no transformer; nested in an app's router, the app's applies.
  const withTransformer: object = transformer ? { transformer } : {};
  const links: TRPCLink<TaskRouter>[] = [
    splitLink({
      condition: (op) => op.type === "subscription",
      // The browser's EventSource cannot send headers: with headers, one built on fetch.
      true: headers
        ? httpSubscriptionLink({
            url,
            ...withTransformer,
            EventSource: FetchEventSource,
            eventSourceOptions: () => ({
              fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...readHeaders() } }),
            }),
          })
        : httpSubscriptionLink({ url, ...withTransformer }),
      // Within a server's `maxBatchSize` of 10 (the web app's): more calls go in more batches.
      false: httpBatchLink({ url, headers: readHeaders, maxItems: 10, ...withTransformer }),
    }),
  ];
  if (path) links.unshift(pathPrefixLink(path));
  return createTRPCClient<TaskRouter>({ links });
}
