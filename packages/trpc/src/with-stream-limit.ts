import type { AnyRouter } from "@trpc/server";
import { isSharedEventProcedure, serveSubscription } from "./serve-subscription";

export interface StreamLimitOptions {
  /** The router the handler serves: a request to one of its subscriptions is a stream. */
  router: AnyRouter;
  /** Where the router is mounted, as given to `fetchRequestHandler` (e.g. `/api/trpc`). */
  endpoint: string;
  /** Streams open at once in this process; past it a new one is answered 503. Default 1,000. */
  maxStreams?: number | undefined;
  /** The `Retry-After` of that 503, in seconds. Default 5. */
  retryAfterSeconds?: number | undefined;
  /**
   * The context of a request, as the handler's `createContext` makes it. Given, Errand's own
   * streams (`watch`) are served here rather than by `handler`: each event is serialized once
   * and the same bytes go to every stream it concerns, and one timer pings all of them —
   * with 300 streams open, far less work per change than tRPC's SSE, which serializes,
   * encodes and times each stream on its own. Same wire format, same middleware, input
   * parsing and error shapes (the procedure runs through tRPC). Other subscriptions still go
   * to `handler`.
   */
  createContext?: ((request: Request) => unknown) | undefined;
}

/** A fetch handler that also says how many streams it holds open. */
export type StreamLimitedHandler = ((request: Request) => Promise<Response>) & {
  /** Streams open now. */
  readonly openStreams: number;
};

/** Default cap of open streams per process. */
export const DEFAULT_MAX_STREAMS = 1000;

/**
 * Caps the subscription streams (`watch`) a fetch handler holds open at once in this
 * process. One past the cap is answered at once with `503` and `Retry-After` — a clear
 * answer, where thousands of streams would otherwise exhaust memory or the listen queue
 * (connection resets). A slot is released when the stream ends, the client leaves, or the
 * body is cancelled. Other calls pass through untouched.
 *
 * @example
 * // app/api/trpc/[trpc]/route.ts
 * const handler = withStreamLimit(
 *   (req) => fetchRequestHandler({ endpoint: "/api/trpc", req, router: tasksRouter, createContext }),
 *   { router: tasksRouter, endpoint: "/api/trpc", maxStreams: 500 },
 * );
 * export { handler as GET, handler as POST };
 */
export function withStreamLimit(
  handler: (request: Request) => Promise<Response>,
  options: StreamLimitOptions,
): StreamLimitedHandler {
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  if (!Number.isInteger(maxStreams) || maxStreams < 0) {
    throw new Error(`withStreamLimit: maxStreams must be a whole number ≥ 0, got ${String(options.maxStreams)}.`);
  }
  const prefix = options.endpoint.replace(/\/+$/, "") + "/";
  const procedures = options.router._def.procedures as Record<string, { _def?: { type?: string } } | undefined>;
  let open = 0;

  /** The subscription a request calls, if it calls one. */
  const streamPath = (request: Request): string | null => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(prefix)) return null;
    // A batch cannot hold a subscription (tRPC refuses it): one path is enough to look at.
    let path: string;
    try {
      path = decodeURIComponent(pathname.slice(prefix.length));
    } catch {
      return null;
    }
    return procedures[path]?._def?.type === "subscription" ? path : null;
  };

  const limited = async (request: Request): Promise<Response> => {
    const path = streamPath(request);
    if (path === null) return handler(request);
    if (open >= maxStreams) {
      return Response.json(
        {
          error: {
            message: `This server holds ${maxStreams} streams already; retry in ${retryAfter} s (polling meanwhile).`,
            code: "SERVICE_UNAVAILABLE",
          },
        },
        { status: 503, headers: { "retry-after": retryAfter, "cache-control": "no-store" } },
      );
    }
    open++;
    const { createContext } = options;
    if (createContext && request.method === "GET" && isSharedEventProcedure(procedures[path])) {
      let done = false;
      const onEnd = () => {
        if (!done) open--;
        done = true;
      };
      try {
        return await serveSubscription({ router: options.router, path, request, createContext, onEnd });
      } catch (error) {
        onEnd();
        throw error;
      }
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      open--;
      request.signal.removeEventListener("abort", release);
    };
    request.signal.addEventListener("abort", release, { once: true });
    let response: Response;
    try {
      response = await handler(request);
    } catch (error) {
      release();
      throw error;
    }
    if (!response.body) {
      release();
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              release();
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            release();
            controller.error(error);
          }
        },
        cancel(reason) {
          release();
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return Object.defineProperty(limited, "openStreams", { get: () => open }) as StreamLimitedHandler;
}
