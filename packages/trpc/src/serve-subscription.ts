import {
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  TRPCError,
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
} from "@trpc/server";

/**
 * Subscriptions whose events are plain values shared between streams (`watch`: the
 * `WatchHub` hands one event object to every stream of the same filters). Only these are
 * served by `serveSubscription`; any other subscription keeps tRPC's own SSE.
 */
const sharedEventProcedures = new WeakSet<AnyTRPCProcedure>();

/** Marks a subscription procedure as one `serveSubscription` may serve. */
export function markSharedEventProcedure<T extends AnyTRPCProcedure>(procedure: T): T {
  sharedEventProcedures.add(procedure);
  return procedure;
}

/** Whether `serveSubscription` may serve this procedure. */
export function isSharedEventProcedure(procedure: unknown): procedure is AnyTRPCProcedure {
  return typeof procedure === "function" && sharedEventProcedures.has(procedure as AnyTRPCProcedure);
}

const encoder = new TextEncoder();
const PING_FRAME = encoder.encode("event: ping\ndata: \n\n");
const RETURN_FRAME = encoder.encode("event: return\ndata: \n\n");

/**
 * The SSE frame of each event object, built once: 300 streams of the same filters get the
 * same bytes rather than each serializing and encoding the event again. Weak: a frame lives
 * as long as its event does.
 */
const frames = new WeakMap<object, Uint8Array>();

function frameOf(value: unknown, serialize: (value: unknown) => unknown): Uint8Array {
  const shareable = typeof value === "object" && value !== null;
  const cached = shareable ? frames.get(value) : undefined;
  if (cached) return cached;
  const frame = encoder.encode(`data: ${JSON.stringify(serialize(value))}\n\n`);
  if (shareable) frames.set(value, frame);
  return frame;
}

/** A stream the ping ticker looks after. */
interface PingedStream {
  lastWrite: number;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/**
 * One timer for the pings of every stream with the same interval, instead of a timer per
 * stream per event: a stream that sent nothing for `intervalMs` gets a ping.
 */
class PingTicker {
  readonly #streams = new Set<PingedStream>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly intervalMs: number) {}

  add(stream: PingedStream): void {
    this.#streams.add(stream);
    this.#timer ??= setInterval(this.#tick, Math.max(1, Math.floor(this.intervalMs / 2)));
    this.#timer.unref?.();
  }

  delete(stream: PingedStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  readonly #tick = (): void => {
    const now = Date.now();
    for (const stream of this.#streams) {
      // A client that reads nothing is not sent more: its frames would only pile up here.
      if (now - stream.lastWrite < this.intervalMs || (stream.controller.desiredSize ?? 0) <= 0) continue;
      stream.lastWrite = now;
      stream.controller.enqueue(PING_FRAME);
    }
  };
}

const tickers = new Map<number, PingTicker>();

function tickerOf(intervalMs: number): PingTicker {
  let ticker = tickers.get(intervalMs);
  if (!ticker) tickers.set(intervalMs, (ticker = new PingTicker(intervalMs)));
  return ticker;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  connection: "keep-alive",
  vary: "trpc-accept, accept",
};

interface SseConfig {
  ping?: { enabled?: boolean; intervalMs?: number };
  client?: Record<string, unknown>;
}

/**
 * Serves one subscription over SSE as tRPC's `httpSubscriptionLink` reads it (`connected`,
 * data frames, `ping`, `serialized-error`, `return`), with less work per stream than tRPC's
 * own producer: an event object is serialized once for all the streams it goes to, pings
 * come from one shared timer, and the body is one stream of ready bytes. The procedure runs
 * through tRPC (its middleware, input parser and error formatter), with `ctx` and the raw
 * `input` of the query string. `onEnd` is called once, when the stream ends for any reason.
 */
export async function serveSubscription(options: {
  router: AnyTRPCRouter;
  path: string;
  request: Request;
  createContext: (request: Request) => unknown;
  onEnd: () => void;
}): Promise<Response> {
  const { router, path, request, onEnd } = options;
  const config = router._def._config as {
    transformer: { input: { deserialize(v: unknown): unknown }; output: { serialize(v: unknown): unknown } };
    sse?: SseConfig;
    isDev: boolean;
  };
  const serialize = (value: unknown) => config.transformer.output.serialize(value);
  const pingMs = config.sse?.ping?.enabled ? (config.sse.ping.intervalMs ?? 1000) : 0;
  const ticker = pingMs > 0 && pingMs !== Infinity ? tickerOf(pingMs) : null;
  const url = new URL(request.url);
  const abort = new AbortController();
  let iterator: AsyncIterator<unknown> | null = null;
  let pinged: PingedStream | null = null;
  let ended = false;
  /** The stream ended: forget it and give its slot back (once). */
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (pinged) ticker?.delete(pinged);
    request.signal.removeEventListener("abort", stop);
    onEnd();
  };
  /** The client left (its body may never be cancelled): end now, and end the subscription, whose `finally` leaves the hub. */
  const stop = (): void => {
    end();
    abort.abort();
    void iterator?.return?.()?.catch(() => undefined);
  };
  request.signal.addEventListener("abort", stop, { once: true });
  if (request.signal.aborted) stop();

  let ctx: unknown;
  let rawInput: unknown;
  let failure: TRPCError | null = null;
  try {
    ctx = await options.createContext(request);
    const data = (await callTRPCProcedure({
      router,
      path,
      ctx,
      type: "subscription",
      signal: abort.signal,
      batchIndex: 0,
      // Read only when the procedure asks for it (after its authorization).
      getRawInput: async () => {
        const text = url.searchParams.get("input");
        if (text === null) return undefined;
        try {
          rawInput = config.transformer.input.deserialize(JSON.parse(text));
        } catch (cause) {
          throw new TRPCError({ code: "PARSE_ERROR", message: "Unable to parse the input.", cause });
        }
        return rawInput;
      },
    })) as AsyncIterable<unknown> | null;
    if (typeof data?.[Symbol.asyncIterator] !== "function") {
      throw new TRPCError({
        code: "INTERNAL_SERVER_ERROR",
        message: `Subscription ${path} did not return an async iterable.`,
      });
    }
    iterator = data[Symbol.asyncIterator]();
    if (ended) void iterator.return?.()?.catch(() => undefined);
  } catch (cause) {
    failure = getTRPCErrorFromUnknown(cause);
    end();
  }

  const errorFrame = (cause: unknown): Uint8Array => {
    const shape: unknown = getErrorShape({
      config: config as never,
      ctx,
      error: getTRPCErrorFromUnknown(cause),
      input: rawInput,
      path,
      type: "subscription",
    });
    return encoder.encode(`event: serialized-error\ndata: ${JSON.stringify(serialize(shape))}\n\n`);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`event: connected\ndata: ${JSON.stringify(config.sse?.client ?? {})}\n\n`));
      if (failure) {
        controller.enqueue(errorFrame(failure));
        controller.close();
      } else if (ticker && !ended) ticker.add((pinged = { lastWrite: Date.now(), controller }));
    },
    async pull(controller) {
      if (!iterator || ended) return;
      try {
        const next = await iterator.next();
        if (ended) return;
        if (pinged) pinged.lastWrite = Date.now();
        if (next.done) {
          controller.enqueue(RETURN_FRAME);
          controller.close();
          end();
        } else controller.enqueue(frameOf(next.value, serialize));
      } catch (cause) {
        if (ended) return;
        controller.enqueue(errorFrame(cause));
        controller.close();
        end();
      }
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
