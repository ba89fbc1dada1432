"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { TaskWatchEvent } from "@errand/trpc";
import { useErrandTRPC } from "../errand-provider-context";

/** How the hooks below a provider stay fresh. */
export interface TaskFeedState {
  /** True while the push stream is connected: the hooks update on each change and do not poll. */
  live: boolean;
  /** The provider's polling interval for when the stream is not live (`false`: never poll). */
  pollInterval: number | false | undefined;
  /** Calls `listener` with every event of the stream; returns the unsubscribe. */
  subscribe: (listener: (event: TaskWatchEvent) => void) => () => void;
}

const noFeed: TaskFeedState = { live: false, pollInterval: undefined, subscribe: () => () => undefined };
const TaskFeedContext = createContext<TaskFeedState>(noFeed);

/** A refused or failed stream (which the link does not retry) is tried again this often; the hooks poll meanwhile. */
const RETRY_MS = 10_000;

/**
 * Holds ONE `watch` stream for the whole page, however many hooks use it (a browser keeps at
 * most six HTTP/1.1 connections per site; a stream per hook would starve the queries), and
 * hands its events to the hooks. `live` turns true with the stream's first event and false
 * whenever it drops; the hooks poll while it is false.
 */
export function TaskFeedProvider({
  enabled,
  pollInterval,
  children,
}: {
  enabled: boolean;
  pollInterval: number | false | undefined;
  children: ReactNode;
}) {
  const trpc = useErrandTRPC();
  const listeners = useRef(new Set<(event: TaskWatchEvent) => void>());
  const [live, setLive] = useState(false);
  const subscription = useSubscription(
    trpc.watch.subscriptionOptions(
      {},
      {
        enabled,
        onData: (event) => {
          setLive(true);
          for (const listener of listeners.current) listener(event);
        },
        onConnectionStateChange: (state) => {
          if (state.state !== "pending") setLive(false);
        },
        onError: () => setLive(false),
      },
    ),
  );
  const { status, reset } = subscription;
  useEffect(() => {
    if (status !== "error") return;
    const timer = setTimeout(reset, RETRY_MS);
    return () => clearTimeout(timer);
  }, [status, reset]);

  const subscribe = useCallback((listener: (event: TaskWatchEvent) => void) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  return (
    <TaskFeedContext.Provider value={{ live: enabled && live, pollInterval, subscribe }}>
      {children}
    </TaskFeedContext.Provider>
  );
}

/**
 * The page's push stream: `onEvent` is called with each event (keep it cheap: throttle the
 * refetches it causes). Returns whether the stream is live and the provider's poll interval.
 */
export function useTaskFeed(onEvent: (event: TaskWatchEvent) => void): Omit<TaskFeedState, "subscribe"> {
  const feed = useContext(TaskFeedContext);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const { subscribe } = feed;
  useEffect(() => subscribe((event) => handler.current(event)), [subscribe]);
  return { live: feed.live, pollInterval: feed.pollInterval };
}

/**
 * Whether the hooks are live (pushed), polling, or neither — for an indicator.
 *
 * @example
 * const { mode } = useLiveStatus(); // "live" | "polling" | "paused"
 */
export function useLiveStatus(): {
  live: boolean;
  mode: "live" | "polling" | "paused";
  pollInterval: number | false | undefined;
} {
  const feed = useContext(TaskFeedContext);
  const mode = feed.live ? "live" : feed.pollInterval === false ? "paused" : "polling";
  return { live: feed.live, mode, pollInterval: feed.pollInterval };
}

/**
 * `fn`, called at most once per `ms`: the first call runs at once, later ones within the
 * window are folded into one call at its end.
 */
export function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | null }>({ last: 0, timer: null });
  useEffect(
    () => () => {
      // Cleared and forgotten: a timer left set would swallow every later call (an effect
      // cleaned up and run again, as React's StrictMode does, keeps this state).
      if (state.current.timer) clearTimeout(state.current.timer);
      state.current.timer = null;
    },
    [],
  );
  return useCallback(() => {
    const s = state.current;
    if (s.timer) return;
    const wait = s.last + ms - Date.now();
    if (wait <= 0) {
      s.last = Date.now();
      latest.current();
      return;
    }
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      latest.current();
    }, wait);
  }, [ms]);
}

/**
 * What each data hook does with the push stream: refetch (at most every `throttleMs`) when an
 * event `concerns` it, and poll at `interval` (else the provider's, else `defaultInterval`)
 * only while the stream is not live. Returns the polling interval to use now (`false`: none).
 *
 * A refetch asked for while the query is already fetching (its first load, which react-query
 * joins rather than restarts, or a poll) may get data read before the change: it fetches once
 * more when that settles, so the last change is never missed.
 */
export function useFeedRefetch(options: {
  concerns: (event: TaskWatchEvent) => boolean;
  /** Refetches the hook's query; resolves when it settled. */
  refetch: () => Promise<unknown>;
  /** Whether the hook's query is fetching now. */
  fetching: () => boolean;
  throttleMs: number;
  interval: number | false | undefined;
  defaultInterval: number;
}): { live: boolean; refetchInterval: number | false } {
  const latest = useRef(options);
  latest.current = options;
  const run = useRef({ running: false, again: false });
  const refetchUntilFresh = useCallback(async () => {
    const r = run.current;
    if (r.running) {
      r.again = true;
      return;
    }
    r.running = true;
    r.again = false;
    // A fetch in flight now may have read before the change, and the refetch joins it.
    let rounds = latest.current.fetching() ? 2 : 1;
    try {
      while (rounds > 0) {
        rounds -= 1;
        await latest.current.refetch().catch(() => undefined);
        // An event came meanwhile: what was just read may predate it.
        if (r.again) {
          r.again = false;
          rounds = Math.max(rounds, 1);
        }
      }
    } finally {
      r.running = false;
    }
  }, []);
  const refetch = useThrottled(() => void refetchUntilFresh(), options.throttleMs);
  const feed = useTaskFeed((event) => {
    if (latest.current.concerns(event)) refetch();
  });
  const interval = options.interval ?? feed.pollInterval ?? options.defaultInterval;
  return { live: feed.live, refetchInterval: feed.live ? false : interval };
}
