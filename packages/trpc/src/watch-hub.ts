import {
  changeConcerns,
  type Backend,
  type TaskChange,
  type TaskChangeEvent,
  type TaskStatus,
  type Unsubscribe,
} from "@errand/core";

/** The filters of a `watch` of many tasks (none: all). */
export interface WatchFilters {
  status?: TaskStatus | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
}

/** Why a list must be refetched. */
export type ResyncReason = "subscribed" | "overflow" | "deleted" | "reconnected";

/** Changes held for one stream that reads slowly; past this they become one `resync`. */
const MAX_BUFFERED_CHANGES = 1000;
/** Changes held between two flushes; past this every stream gets one `resync` instead. */
const MAX_PENDING_CHANGES = 5000;
/** Default: a stream gets what changed at most this often. */
export const DEFAULT_COALESCE_MS = 100;

/**
 * One stream's mailbox. The hub delivers to it at most once per flush; the stream takes what
 * arrived when it reads. Holds only what it has not read yet, bounded.
 */
export class WatchMember {
  /** Events delivered since the last take: usually one, shared with the other streams of the same filters. */
  events: { type: "changes"; changes: TaskChange[] }[] = [];
  buffered = 0;
  resync: ResyncReason | null = null;
  /** The watched task (watching one id) was named by a change. */
  touched = false;
  interrupted = false;
  #wake: (() => void) | null = null;

  constructor(
    readonly filters: WatchFilters | null,
    readonly id: string | null,
  ) {}

  get empty(): boolean {
    return this.events.length === 0 && this.resync === null && !this.touched && !this.interrupted;
  }

  deliver(event: { type: "changes"; changes: TaskChange[] }): void {
    if (this.buffered + event.changes.length > MAX_BUFFERED_CHANGES) {
      this.events = [];
      this.buffered = 0;
      this.resync = "overflow";
    } else {
      this.events.push(event);
      this.buffered += event.changes.length;
    }
    this.wake();
  }

  wake(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Resolves when something arrives, after `timeoutMs`, or when `signal` aborts. */
  wait(signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    if (!this.empty || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = null;
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      this.#wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** What arrived since the last take, as one event (the shared one when only one came). */
  take(): {
    changes: { type: "changes"; changes: TaskChange[] } | null;
    resync: ResyncReason | null;
    touched: boolean;
  } {
    const { events, resync, touched } = this;
    this.events = [];
    this.buffered = 0;
    this.resync = null;
    this.touched = false;
    const changes =
      events.length === 0
        ? null
        : events.length === 1
          ? events[0]!
          : { type: "changes" as const, changes: events.flatMap((e) => e.changes) };
    return { changes, resync, touched };
  }
}

/** Streams with the same filters: their changes are filtered, and their event built, once. */
interface FilterGroup {
  filters: WatchFilters;
  members: Set<WatchMember>;
}

/**
 * Every `watch` stream of this process on one backend, behind ONE subscription to the
 * backend's feed. Changes are gathered and handed out at most every `coalesceMs`: filtered
 * once per distinct set of filters, and the same event object given to each stream of that
 * set; a stream watching one id is only woken when a change names it. A stream that leaves
 * is forgotten at once, and the feed subscription ends with the last stream.
 */
export class WatchHub {
  readonly #backend: Backend;
  readonly #coalesceMs: number;
  readonly #groups = new Map<string, FilterGroup>();
  readonly #byId = new Map<string, Set<WatchMember>>();
  #members = 0;
  #subscription: Promise<Unsubscribe> | null = null;
  #pending: TaskChange[] = [];
  #pendingOverflow = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(backend: Backend, options: { coalesceMs?: number | undefined } = {}) {
    this.#backend = backend;
    this.#coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS;
  }

  /** Open streams. */
  get size(): number {
    return this.#members;
  }

  /**
   * Adds a stream; resolves once the feed is listening (what the stream reads next is not
   * older than its first event). Throws what the backend's `watchChanges` throws.
   */
  async join(member: WatchMember): Promise<() => void> {
    this.#add(member);
    try {
      this.#subscription ??= this.#backend.watchChanges(this.#receive);
      await this.#subscription;
    } catch (error) {
      this.#subscription = null;
      this.#remove(member);
      throw error;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#remove(member);
    };
  }

  #add(member: WatchMember): void {
    this.#members++;
    if (member.id !== null) {
      let set = this.#byId.get(member.id);
      if (!set) this.#byId.set(member.id, (set = new Set()));
      set.add(member);
      return;
    }
    const filters = member.filters ?? {};
    const key = JSON.stringify([filters.status ?? null, filters.queueName ?? null, filters.taskName ?? null]);
    let group = this.#groups.get(key);
    if (!group) this.#groups.set(key, (group = { filters, members: new Set() }));
    group.members.add(member);
  }

  #remove(member: WatchMember): void {
    let removed = false;
    if (member.id !== null) {
      const set = this.#byId.get(member.id);
      removed = set?.delete(member) ?? false;
      if (set?.size === 0) this.#byId.delete(member.id);
    } else {
      for (const [key, group] of this.#groups) {
        if (!group.members.delete(member)) continue;
        removed = true;
        if (group.members.size === 0) this.#groups.delete(key);
        break;
      }
    }
    if (!removed) return;
    this.#members--;
    if (this.#members === 0) this.#stop();
  }

  /** No stream left: end the feed subscription and drop what was gathered. */
  #stop(): void {
    const subscription = this.#subscription;
    this.#subscription = null;
    void subscription?.then((unsubscribe) => unsubscribe()).catch(() => undefined);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
    this.#pendingOverflow = false;
  }

  #everyMember(visit: (member: WatchMember) => void): void {
    for (const group of this.#groups.values()) for (const member of group.members) visit(member);
    for (const set of this.#byId.values()) for (const member of set) visit(member);
  }

  readonly #receive = (event: TaskChangeEvent): void => {
    if (event.type === "interrupted") {
      // Every stream ends (its client polls and reconnects); the next one subscribes afresh.
      this.#everyMember((member) => {
        member.interrupted = true;
        member.wake();
      });
      const subscription = this.#subscription;
      this.#subscription = null;
      void subscription?.then((unsubscribe) => unsubscribe()).catch(() => undefined);
      return;
    }
    if (event.type === "resync") {
      this.#everyMember((member) => {
        member.resync = event.reason;
        member.wake();
      });
      return;
    }
    if (this.#pendingOverflow) return;
    if (this.#pending.length + event.changes.length > MAX_PENDING_CHANGES) {
      this.#pending = [];
      this.#pendingOverflow = true;
    } else {
      for (const change of event.changes) this.#pending.push(change);
    }
    this.#timer ??= setTimeout(this.#flush, this.#coalesceMs);
  };

  readonly #flush = (): void => {
    this.#timer = null;
    const pending = this.#pending;
    const overflow = this.#pendingOverflow;
    this.#pending = [];
    this.#pendingOverflow = false;
    if (overflow) {
      this.#everyMember((member) => {
        member.resync = "overflow";
        member.wake();
      });
      return;
    }
    for (const group of this.#groups.values()) {
      const matching = pending.filter((change) => changeConcerns(change, group.filters));
      if (matching.length === 0) continue;
      const event = { type: "changes" as const, changes: matching };
      for (const member of group.members) member.deliver(event);
    }
    if (this.#byId.size > 0) {
      for (const change of pending) {
        const set = this.#byId.get(change.id);
        if (!set) continue;
        for (const member of set) {
          member.touched = true;
          member.wake();
        }
      }
    }
  };
}

const hubs = new WeakMap<Backend, Map<number, WatchHub>>();

/** The hub of `backend` in this process (one per coalescing interval). */
export function watchHubOf(backend: Backend, coalesceMs = DEFAULT_COALESCE_MS): WatchHub {
  let byInterval = hubs.get(backend);
  if (!byInterval) hubs.set(backend, (byInterval = new Map<number, WatchHub>()));
  let hub = byInterval.get(coalesceMs);
  if (!hub) byInterval.set(coalesceMs, (hub = new WatchHub(backend, { coalesceMs })));
  return hub;
}
