import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrandError } from "@errand/core";
import {
  closeBackends,
  configure,
  getBackend,
  ImmediateBackend,
  task,
  TaskResultDoesNotExist,
  TaskResultMismatch,
  type Backend,
  taskEvents,
  type TaskEvent,
  type TaskChangeEvent,
} from "@errand/core";
import { createTestDatabase, type TestDatabase } from "@errand/core/testing";

// One suite every backend must pass. Differences are declared, not special-cased.
const kinds = [
  { alias: "db", runsAtEnqueue: false, supportsDefer: true },
  { alias: "fake", runsAtEnqueue: false, supportsDefer: true },
  { alias: "inline", runsAtEnqueue: true, supportsDefer: false },
] as const;

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  configure({
    backends: {
      default: { backend: "dummy" },
      db: { backend: "database", url: tdb.url },
      fake: { backend: "dummy" },
      inline: { backend: "immediate" },
      small: { backend: "immediate", maxResults: 3 },
    },
  });
});
afterAll(async () => {
  await closeBackends();
  await tdb?.drop();
});

const double = task({ name: "conf.double" }, async (n: number) => ({ doubled: n * 2 }));
const explode = task({ name: "conf.explode" }, async () => {
  throw new Error("kaboom", { cause: new TypeError("root cause") });
});
const other = task({ name: "conf.other" }, async () => "x");
const reports = task({ name: "conf.reports", takesContext: true }, async (context) => {
  await context.setProgress(1, 2);
  return "done";
});

describe.each(kinds)("backend $alias", ({ alias, runsAtEnqueue, supportsDefer }) => {
  let backend: Backend;
  const t = () => double.using({ backend: alias });
  beforeAll(() => {
    backend = getBackend(alias);
  });

  it("declares its capabilities", () => {
    expect(backend.alias).toBe(alias);
    expect(backend.supportsDefer).toBe(supportsDefer);
    expect(backend.supportsGetResult).toBe(true);
    expect(backend.supportsPriority).toBe(true);
  });

  it("enqueues and finds the result by id, with a canonical uuid", async () => {
    const r = await t().using({ priority: 7 }).enqueue(21);
    expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.taskName).toBe("conf.double");
    expect(r.args).toEqual([21]);
    expect(r.priority).toBe(7);
    expect(r.backend).toBe(alias);
    expect(r.enqueuedAt).toBeInstanceOf(Date);
    const viaBackend = await backend.getResult(r.id);
    expect(viaBackend.taskName).toBe("conf.double");
    const found = await t().getResult(r.id);
    expect(found.id).toBe(r.id);
    expect(found.args).toEqual([21]);
    if (runsAtEnqueue) {
      expect(r.status).toBe("SUCCESSFUL");
      expect(r.returnValue).toEqual({ doubled: 42 });
      expect(r.attempts).toBe(1);
      expect(r.isFinished).toBe(true);
    } else {
      expect(r.status).toBe("PENDING");
      expect(r.attempts).toBe(0);
      expect(r.isFinished).toBe(false);
      expect(() => r.returnValue).toThrow(/has not finished yet/);
    }
  });

  it("records a failure with its class, message and chained traceback (when it runs)", async () => {
    const r = await explode.using({ backend: alias }).enqueue();
    if (!runsAtEnqueue) {
      expect(r.errors).toEqual([]);
      return;
    }
    expect(r.status).toBe("FAILED");
    expect(() => r.returnValue).toThrow(/Task failed/);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ exceptionClass: "Error", message: "kaboom", attempt: 1 });
    expect(r.errors[0]!.traceback).toContain("conformance.test.ts");
    expect(r.errors[0]!.traceback).toContain("Caused by: TypeError: root cause");
  });

  it("distinguishes a missing id, a malformed id and another task's id", async () => {
    await expect(backend.getRecord("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(
      TaskResultDoesNotExist,
    );
    await expect(t().getResult("not-a-uuid")).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    const r = await other.using({ backend: alias }).enqueue();
    const err = await t()
      .getResult(r.id)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskResultMismatch);
    expect((err as ErrandError).code).toBe("TASK_RESULT_MISMATCH");
    expect((err as Error).message).toContain('belongs to task "conf.other"');
  });

  it("enqueues many in order", async () => {
    const results = await t().enqueueMany([[1], [2], [3]]);
    expect(results.map((r) => r.args)).toEqual([[1], [2], [3]]);
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    if (runsAtEnqueue)
      expect(results.map((r) => r.returnValue)).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
  });

  it("lists newest first with filters and cursor pages", async () => {
    const name = `conf.list.${alias}`;
    const listed = task({ name }, async (n: number) => n);
    const made = await listed.using({ backend: alias }).enqueueMany([[1], [2], [3], [4], [5]]);
    const page1 = await backend.list({ taskName: name, limit: 2 });
    expect(page1.items.map((r) => r.args[0])).toEqual([5, 4]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await backend.list({ taskName: name, limit: 2, cursor: page1.nextCursor! });
    expect(page2.items.map((r) => r.args[0])).toEqual([3, 2]);
    const page3 = await backend.list({ taskName: name, limit: 2, cursor: page2.nextCursor! });
    expect(page3.items.map((r) => r.args[0])).toEqual([1]);
    expect(page3.nextCursor).toBeNull();
    const status = runsAtEnqueue ? "SUCCESSFUL" : "PENDING";
    expect((await backend.list({ taskName: name, status })).items).toHaveLength(5);
    expect((await backend.list({ taskName: name, status: "RUNNING" })).items).toHaveLength(0);
    expect(made).toHaveLength(5);
  });

  it("counts by status and queue", async () => {
    await t().enqueue(3);
    const stats = await backend.stats();
    const total = Object.values(stats.byStatus).reduce((a, b) => a + b, 0);
    expect(total).toBe(stats.byQueue.reduce((n, q) => n + q.count, 0));
    expect(total).toBeGreaterThan(0);
    if (runsAtEnqueue) expect(stats.throughput.reduce((n, m) => n + m.successful + m.failed, 0)).toBe(total);
  });

  it("cancels only PENDING tasks and retries only FAILED ones; refresh sees it", async () => {
    const r = await t().enqueue(5);
    if (runsAtEnqueue) {
      await expect(backend.cancel(r.id)).rejects.toThrow(/only PENDING or RUNNING tasks can be cancelled/);
      await expect(backend.retry(r.id)).rejects.toThrow(/only FAILED tasks can be retried/);
      const failed = await explode.using({ backend: alias }).enqueue();
      const retried = await backend.retry(failed.id);
      expect(retried.status).toBe("FAILED");
      expect(retried.attempts).toBe(2);
      await failed.refresh();
      expect(failed.errors.map((e) => e.attempt)).toEqual([1, 2]);
      return;
    }
    const cancelled = await backend.cancel(r.id);
    expect(cancelled.status).toBe("FAILED");
    expect(cancelled.errors[0]!.exceptionClass).toBe("TaskCancelled");
    await r.refresh();
    expect(r.status).toBe("FAILED");
    expect(r.finishedAt).toBeInstanceOf(Date);
    await expect(backend.cancel(r.id)).rejects.toMatchObject({ code: "INVALID_STATE" });
    const retried = await backend.retry(r.id);
    expect(retried.status).toBe("PENDING");
    await r.refresh();
    expect(r.status).toBe("PENDING");
    await expect(backend.retry(r.id)).rejects.toMatchObject({ code: "INVALID_STATE" });
    await expect(backend.cancel("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(TaskResultDoesNotExist);
  });

  it("reads, cancels and retries by an id in upper case", async () => {
    const upper = (id: string) => id.toUpperCase();
    if (runsAtEnqueue) {
      const failed = await explode.using({ backend: alias }).enqueue();
      expect((await backend.getRecord(upper(failed.id))).id).toBe(failed.id);
      expect((await backend.retry(upper(failed.id))).attempts).toBe(2);
      return;
    }
    const r = await t().enqueue(1);
    expect((await backend.getRecord(upper(r.id))).id).toBe(r.id);
    expect((await backend.cancel(upper(r.id))).status).toBe("FAILED");
    expect((await backend.retry(upper(r.id))).status).toBe("PENDING");
  });

  it.runIf(runsAtEnqueue)("runs a task once, with its progress, and schedules no repeat", async () => {
    const r = await reports.using({ backend: alias, repeat: 60 }).enqueue();
    expect(r.status).toBe("SUCCESSFUL");
    expect(r.returnValue).toBe("done");
    expect(r.progress).toEqual({ done: 1, total: 2 });
    expect((await backend.list({ taskName: "conf.reports" })).items).toHaveLength(1);
  });

  it("prunes finished tasks only", async () => {
    // Its own finished tasks (a success and a failure where it runs them, a cancel where it
    // does not), so there is something to prune whatever ran before.
    const finishedIds: string[] = [];
    let unfinished: string | null = null;
    if (runsAtEnqueue) {
      finishedIds.push((await t().enqueue(1)).id, (await explode.using({ backend: alias }).enqueue()).id);
    } else {
      finishedIds.push((await backend.cancel((await t().enqueue(1)).id)).id);
      unfinished = (await t().enqueue(2)).id;
    }
    const before = await backend.stats();
    const finished = before.byStatus.SUCCESSFUL + before.byStatus.FAILED;
    expect(finished).toBeGreaterThanOrEqual(finishedIds.length);
    // Finished just now: younger than an hour, so kept.
    expect(await backend.prune({ age: 3600, dryRun: true })).toBe(0);
    expect(await backend.prune({ age: 3600 })).toBe(0);
    expect(await backend.prune({ age: 0, dryRun: true })).toBe(finished);
    expect((await backend.getRecord(finishedIds[0]!)).id).toBe(finishedIds[0]);
    expect(await backend.prune({ age: 0 })).toBe(finished);
    for (const id of finishedIds) await expect(backend.getRecord(id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    const after = await backend.stats();
    expect(after.byStatus.SUCCESSFUL + after.byStatus.FAILED).toBe(0);
    expect(after.byStatus.PENDING).toBe(before.byStatus.PENDING);
    if (unfinished) expect((await backend.getRecord(unfinished)).status).toBe("PENDING");
  });

  it("pushes each change of a task to watchers, with its status before and after", async () => {
    const events: TaskChangeEvent[] = [];
    const stop = await backend.watchChanges((event) => events.push(event));
    const seen = () =>
      events.flatMap((e) => (e.type === "changes" ? e.changes : [])).map((c) => `${c.previousStatus}>${c.status}`);
    try {
      const r = await t().enqueue(7);
      const expected = runsAtEnqueue ? ["null>PENDING", "PENDING>RUNNING", "RUNNING>SUCCESSFUL"] : ["null>PENDING"];
      await expect.poll(seen, { timeout: 10_000 }).toEqual(expected);
      const change = events.flatMap((e) => (e.type === "changes" ? e.changes : []))[0]!;
      expect(change).toEqual({
        id: r.id,
        status: "PENDING",
        previousStatus: null,
        queueName: "default",
        taskName: "conf.double",
      });
      if (!runsAtEnqueue) {
        await backend.cancel(r.id);
        await backend.retry(r.id);
        await expect.poll(seen, { timeout: 10_000 }).toEqual([...expected, "PENDING>FAILED", "FAILED>PENDING"]);
      }
    } finally {
      stop();
    }
  });

  it("stops pushing to a watcher once it unsubscribes", async () => {
    const stopped: TaskChangeEvent[] = [];
    const witnessed: TaskChangeEvent[] = [];
    const stop = await backend.watchChanges((event) => stopped.push(event));
    const stopWitness = await backend.watchChanges((event) => witnessed.push(event));
    const ids = (events: TaskChangeEvent[]) =>
      events.flatMap((e) => (e.type === "changes" ? e.changes : [])).map((c) => c.id);
    try {
      const first = await t().enqueue(7);
      await expect.poll(() => ids(stopped), { timeout: 10_000 }).toContain(first.id);
      stop();
      const second = await t().enqueue(8);
      // Every subscriber gets a change in one delivery: once the witness has the second
      // task's, the unsubscribed watcher would have had it too.
      await expect.poll(() => ids(witnessed), { timeout: 10_000 }).toContain(second.id);
      expect(ids(stopped)).not.toContain(second.id);
    } finally {
      stop();
      stopWitness();
    }
  });

  it.runIf(supportsDefer)("stores runAfter", async () => {
    const when = new Date(Date.now() + 3_600_000);
    const r = await t().using({ runAfter: when }).enqueue(1);
    expect(r.runAfter.getTime()).toBe(when.getTime());
  });
});

describe("task events", () => {
  it("reports enqueues, and the starts and finishes of tasks run in this process, in that order", async () => {
    const seen: string[] = [];
    const onEnqueued = ({ record }: TaskEvent) => seen.push(`enqueued:${record.backend}:${record.status}`);
    const onStarted = ({ record }: TaskEvent) => seen.push(`started:${record.status}`);
    const onFinished = ({ record }: TaskEvent) => seen.push(`finished:${record.status}`);
    taskEvents.on("enqueued", onEnqueued).on("started", onStarted).on("finished", onFinished);
    const broken = () => {
      throw new Error("listener bug");
    };
    taskEvents.on("enqueued", broken);
    try {
      await double.using({ backend: "fake" }).enqueue(1);
      await double.using({ backend: "inline" }).enqueue(1);
    } finally {
      taskEvents
        .off("enqueued", onEnqueued)
        .off("started", onStarted)
        .off("finished", onFinished)
        .off("enqueued", broken);
    }
    // The immediate backend as the database backend: enqueued (PENDING), then started and
    // finished (Django's order), not enqueued last with the finished record.
    expect(seen).toEqual([
      "enqueued:fake:PENDING",
      "enqueued:inline:PENDING",
      "started:RUNNING",
      "finished:SUCCESSFUL",
    ]);
  });
});

describe("the immediate backend in a long-running process", () => {
  it("keeps at most maxResults finished results, forgetting the oldest", async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await double.using({ backend: "small" }).enqueue(i));
    const small = getBackend("small");
    expect((await small.list({})).items).toHaveLength(3);
    await expect(small.getResult(results[0]!.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    await expect(small.getResult(results[1]!.id)).rejects.toBeInstanceOf(TaskResultDoesNotExist);
    expect((await small.getResult(results[4]!.id)).returnValue).toEqual({ doubled: 8 });
  });

  it("refuses a maxResults below 1, naming the backend", () => {
    expect(() => new ImmediateBackend("none", { backend: "immediate", maxResults: 0 })).toThrow(
      "configure(): backends.none.maxResults must be a positive integer, got 0.",
    );
  });
});
