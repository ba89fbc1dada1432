import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { QueueJSON, TaskRecordJSON, TaskStatsJSON } from "@errand/trpc";
import {
  QueueList,
  TaskDetail,
  TaskStatusBadge,
  TaskTable,
  ThroughputChart,
  formatDuration,
  formatRateLimit,
  formatRelative,
} from "../src/index";

function record(overrides: Partial<TaskRecordJSON> = {}): TaskRecordJSON {
  const t = "2026-01-01T12:00:00.000Z";
  return {
    id: "0b9a5f0e-1111-4222-8333-444455556666",
    taskName: "reports.build",
    queueName: "reports",
    backend: "default",
    priority: 0,
    args: ["2026-01", { pages: 3 }],
    status: "PENDING",
    runAfter: t,
    enqueuedAt: t,
    startedAt: null,
    lastAttemptedAt: null,
    finishedAt: null,
    attempts: 0,
    maxAttempts: 25,
    workerIds: [],
    errors: [],
    progress: null,
    repeat: null,
    repeatUntil: null,
    verboseName: null,
    creator: null,
    uniqueKey: null,
    cancelRequestedAt: null,
    dependsOn: [],
    waitingOn: 0,
    ...overrides,
  };
}

const html = (element: Parameters<typeof renderToStaticMarkup>[0]) => renderToStaticMarkup(element);

describe("TaskStatusBadge", () => {
  it("names the status in words, and a PENDING task with attempts as retrying", () => {
    expect(html(createElement(TaskStatusBadge, { status: "SUCCESSFUL" }))).toContain("Successful");
    expect(html(createElement(TaskStatusBadge, { status: "PENDING", attempts: 2 }))).toContain("Retrying");
    expect(html(createElement(TaskStatusBadge, { status: "PENDING", attempts: 0 }))).toContain("Pending");
  });
});

describe("TaskDetail", () => {
  it("lists what the task waits on and what it unblocks, each a link to that task", () => {
    const a = "0b9a5f0e-aaaa-4222-8333-444455556666";
    const b = "0b9a5f0e-bbbb-4222-8333-444455556666";
    const next = "0b9a5f0e-cccc-4222-8333-444455556666";
    const out = html(
      createElement(TaskDetail, {
        task: record({ dependsOn: [a, b], waitingOn: 1 }),
        dependents: [{ id: next, taskName: "media.notify", status: "PENDING" }],
        taskHref: (id) => `/tasks/${id}`,
      }),
    );
    expect(out).toContain("Waits on (2) · 1 still to succeed");
    expect(out).toContain(`href="/tasks/${a}"`);
    expect(out).toContain(`href="/tasks/${b}"`);
    expect(out).toContain("Unblocks (1)");
    expect(out).toContain("media.notify");
    expect(out).toContain(`href="/tasks/${next}"`);
    const plain = html(createElement(TaskDetail, { task: record() }));
    expect(plain).not.toContain("Waits on");
    expect(plain).not.toContain("Unblocks");
  });

  it("shows args, attempts, workers, progress and every traceback", () => {
    const task = record({
      status: "RUNNING",
      attempts: 2,
      workerIds: ["host-1-abc", "host-2-def"],
      startedAt: "2026-01-01T12:00:01.000Z",
      lastAttemptedAt: "2026-01-01T12:00:30.000Z",
      progress: { done: 3, total: 12 },
      errors: [
        {
          exceptionClass: "TimeoutError",
          message: "upstream took too long",
          traceback: "TimeoutError: upstream took too long\n    at fetchPage (report.ts:10:5)",
          attempt: 1,
          failedAt: "2026-01-01T12:00:20.000Z",
        },
      ],
    });
    const out = html(createElement(TaskDetail, { task }));
    expect(out).toContain("2 of 25");
    expect(out).toContain("host-1-abc");
    expect(out).toContain("host-2-def");
    expect(out).toContain('role="progressbar"');
    expect(out).toContain('aria-valuenow="3"');
    expect(out).toContain('aria-valuemax="12"');
    expect(out).toContain("&quot;2026-01&quot;");
    expect(out).toMatch(
      /<pre[^>]*aria-label="Traceback of attempt 1"[^>]*>TimeoutError: upstream took too long\n {4}at fetchPage/,
    );
  });

  it("offers Cancel while PENDING or RUNNING and Retry only once FAILED", () => {
    const noop = () => undefined;
    const pending = html(createElement(TaskDetail, { task: record(), onCancel: noop, onRetry: noop }));
    expect(pending).toContain("Cancel task");
    expect(pending).not.toContain("Retry task");
    const failed = html(
      createElement(TaskDetail, {
        task: record({ status: "FAILED", finishedAt: "2026-01-01T12:01:00.000Z" }),
        onCancel: noop,
        onRetry: noop,
      }),
    );
    expect(failed).toContain("Retry task");
    expect(failed).not.toContain("Cancel task");
    const successful = html(
      createElement(TaskDetail, {
        task: record({ status: "SUCCESSFUL", returnValue: { url: "/r.pdf" } }),
        onCancel: noop,
        onRetry: noop,
      }),
    );
    expect(successful).not.toContain("Retry task");
    expect(successful).not.toContain("Cancel task");
    expect(successful).toContain("/r.pdf");
    const running = html(
      createElement(TaskDetail, { task: record({ status: "RUNNING", attempts: 1 }), onCancel: noop }),
    );
    expect(running).toContain("Cancel task");
    expect(running).not.toContain("waiting for its worker");
    const stopping = html(
      createElement(TaskDetail, {
        task: record({
          status: "RUNNING",
          attempts: 1,
          cancelRequestedAt: "2026-01-01T12:00:30.000Z",
          uniqueKey: "k:1",
        }),
        onCancel: noop,
      }),
    );
    expect(stopping).toMatch(/<button[^>]*disabled=""[^>]*>Cancel task/);
    expect(stopping).toContain("Cancel asked for; waiting for its worker to stop it");
    expect(stopping).toContain("k:1");
  });
});

describe("TaskTable", () => {
  it("renders one row per task with a keyboard-reachable name button", () => {
    const out = html(
      createElement(TaskTable, {
        items: [record(), record({ id: "other", taskName: "emails.send" })],
        onSelect: () => undefined,
      }),
    );
    expect(out.match(/<tr data-task-id=/g)).toHaveLength(2);
    expect(out).toContain('<button type="button"');
    expect(out).toContain("reports.build, pending, show details");
  });

  it("says so when there are no tasks", () => {
    expect(html(createElement(TaskTable, { items: [], emptyMessage: "Nothing here." }))).toContain("Nothing here.");
  });
});

describe("ThroughputChart", () => {
  it("summarises the hour for screen readers and draws one bar per busy minute", () => {
    const throughput: TaskStatsJSON["throughput"] = Array.from({ length: 60 }, (_, i) => ({
      minute: new Date(Date.UTC(2026, 0, 1, 12, i)).toISOString(),
      successful: i === 59 ? 4 : 0,
      failed: i === 58 ? 1 : 0,
    }));
    const out = html(createElement(ThroughputChart, { throughput }));
    expect(out).toContain('aria-label="4 successful and 1 failed tasks in the last hour; peak 4 per minute."');
    expect(out.match(/class="fill-emerald-500"/g)).toHaveLength(1);
    expect(out.match(/class="fill-rose-500"/g)).toHaveLength(1);
  });
});

describe("formatting", () => {
  it("formats durations and relative times", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(null)).toBe("—");
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(formatRelative("2026-01-01T11:59:48Z", now)).toBe("12 s ago");
    expect(formatRelative("2026-01-01T12:03:00Z", now)).toBe("in 3 min");
    expect(formatRelative(null, now)).toBe("—");
  });
});

describe("QueueList", () => {
  const queue = (overrides: Partial<QueueJSON> = {}): QueueJSON => ({
    name: "email",
    paused: false,
    pending: 12,
    running: 2,
    failed: 3,
    oldestDueAt: "2026-01-01T11:59:00.000Z",
    concurrency: 5,
    rateLimit: { limit: 10, periodSeconds: 1 },
    ...overrides,
  });
  const now = new Date("2026-01-01T12:00:00.000Z").getTime();

  it("shows a paused queue's badge and a Resume toggle, running against its limit, and its rate limit", () => {
    const out = html(createElement(QueueList, { queues: [queue({ paused: true })], now, onPausedChange: () => {} }));
    expect(out).toContain("Paused");
    expect(out).toContain('aria-label="Resume queue email"');
    expect(out.replace(/<[^>]+>/g, "")).toContain("2 / 5 allowed at once");
    expect(out).toContain("10 / s");
    expect(out).toContain("1 min ago");
  });

  it("shows no badge and a Pause toggle for a running queue, and no limit where none is set", () => {
    const out = html(
      createElement(QueueList, {
        queues: [queue({ name: "default", concurrency: null, rateLimit: null })],
        now,
        onPausedChange: () => {},
      }),
    );
    expect(out).not.toContain("Paused");
    expect(out).toContain('aria-label="Pause queue default"');
    expect(out).not.toContain("allowed at once");
    expect(out).toContain(">none<");
  });

  it("has no toggles when read-only, and words for an empty list", () => {
    expect(html(createElement(QueueList, { queues: [queue()] }))).not.toContain("Pause queue");
    expect(html(createElement(QueueList, { queues: [] }))).toContain("No queues yet");
  });

  it("formats rate limits per second, minute, hour or any period", () => {
    expect(formatRateLimit({ limit: 100, periodSeconds: 60 })).toBe("100 / min");
    expect(formatRateLimit({ limit: 5, periodSeconds: 3600 })).toBe("5 / h");
    expect(formatRateLimit({ limit: 3, periodSeconds: 30 })).toBe("3 / 30 s");
    expect(formatRateLimit(null)).toBe("none");
  });
});
