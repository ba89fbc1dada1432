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
      if (state.current.timer) clearTimeout(state.current.timer);
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
 */
export function useFeedRefetch(options: {
  concerns: (event: TaskWatchEvent) => boolean;
  refetch: () => void;
  throttleMs: number;
  interval: number | false | undefined;
  defaultInterval: number;
}): { live: boolean; refetchInterval: number | false } {
  const refetch = useThrottled(options.refetch, options.throttleMs);
  const feed = useTaskFeed((event) => {
    if (options.concerns(event)) refetch();
  });
  const interval = options.interval ?? feed.pollInterval ?? options.defaultInterval;
  return { live: feed.live, refetchInterval: feed.live ? false : interval };
}
