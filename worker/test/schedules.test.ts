// Cron schedules: ticks in a time zone across DST, one task per tick however many workers.
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { sql } from "kysely";
import { task } from "@errand/core";
import type { TestDatabase } from "@errand/core/testing";
import { claimTick, resolveSchedules, Scheduler, ticksBetween, type ResolvedSchedule } from "../src/scheduler";
import { InvalidWorkerOption } from "../src/errors";
import { capturingLogger, FIXTURE_CONFIG, logLines, runCli, waitFor, workerProcessSuite } from "./helpers";

const fixtures = path.dirname(FIXTURE_CONFIG);
let tdb: TestDatabase;
const suite = workerProcessSuite({ ready: (t) => (tdb = t), clear: ["errand_tasks", "errand_schedule_ticks"] });

const report = task({ name: "schedules.report" }, async (kind: string) => kind);

function schedule(cron: string, timezone: string, name = "s"): ResolvedSchedule {
  return resolveSchedules([{ name, task: report, cron, timezone, args: ["daily"] }])[0]!;
}

/** Ticks during one local calendar day, given its start and end as instants. */
const during = (s: ResolvedSchedule, from: string, to: string) => ticksBetween(s, new Date(from), new Date(to));

describe("schedule ticks across DST, with a fixed clock", () => {
  it("02:30 daily in Europe/Paris runs once on the spring-forward day (at 03:30) and once on the fall-back day", () => {
    const s = schedule("30 2 * * *", "Europe/Paris");
    // 2026-03-29: 02:00 CET → 03:00 CEST; 02:30 does not exist.
    expect(during(s, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z").map((d) => d.toISOString())).toEqual([
      "2026-03-29T01:30:00.000Z",
    ]);
    // 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice, the schedule runs once.
    expect(during(s, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z").map((d) => d.toISOString())).toEqual([
      "2026-10-25T00:30:00.000Z",
    ]);
    // The days around keep their local time.
    expect(during(s, "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z").map((d) => d.toISOString())).toEqual([
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  it("01:30 daily in America/New_York runs once on the day 01:30 happens twice", () => {
    const s = schedule("30 1 * * *", "America/New_York");
    expect(during(s, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z")).toHaveLength(1);
    expect(during(s, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")).toHaveLength(1);
  });

  it("enqueues one task per tick however often it is claimed", async () => {
    const s = schedule("30 2 * * *", "Europe/Paris");
    const ticks = during(s, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    const claims = await Promise.all(ticks.flatMap((t) => [1, 2, 3, 4, 5].map(() => claimTick(tdb.db, s, t))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const tasks = await tdb.db.selectFrom("errand_tasks").select(["task_name", "args"]).execute();
    expect(tasks).toEqual([{ task_name: "schedules.report", args: ["daily"] }]);
  });

  it("ticks missed while no worker ran are enqueued once: the latest", async () => {
    const s = schedule("0 9 * * *", "Europe/Paris", "reports.daily");
    // The last tick enqueued was ten days before the (fixed) clock.
    await tdb.db
      .insertInto("errand_schedule_ticks")
      .values({ schedule_name: "reports.daily", tick_at: new Date("2026-06-01T07:00:00Z") })
      .execute();
    const { lines, logger } = capturingLogger();
    const now = () => new Date("2026-06-11T12:00:00Z");
    const scheduler = new Scheduler({ db: tdb.db, schedules: [s], logger, now });
    await scheduler.start();
    await scheduler.stop();
    const ticks = await tdb.db.selectFrom("errand_schedule_ticks").select("tick_at").orderBy("tick_at").execute();
    expect(ticks.map((t) => t.tick_at.toISOString())).toEqual(["2026-06-11T07:00:00.000Z"]);
    expect(await tdb.db.selectFrom("errand_tasks").select("task_name").execute()).toHaveLength(1);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: "schedule caught up a missed tick",
        tickAt: "2026-06-11T07:00:00.000Z",
        missedTicks: 9,
      }),
    ]);
    // A second worker starting on the same clock enqueues nothing more.
    const again = new Scheduler({ db: tdb.db, schedules: [s], logger, now });
    await again.start();
    await again.stop();
    expect(await tdb.db.selectFrom("errand_tasks").select("task_name").execute()).toHaveLength(1);
  });
});

describe("a scheduler on a clock the test moves", () => {
  it("enqueues every tick of a schedule every second, once, with three schedulers on one database", async () => {
    const s = schedule("* * * * * *", "UTC", "every.second");
    const { lines, logger } = capturingLogger();
    const enqueued = () => lines.filter((l) => l.msg === "schedule enqueued");
    /** Waits on the schedulers' log, not on time (the test's timers are fake). */
    const untilEnqueued = async (n: number) => {
      const deadline = performance.now() + 15_000;
      while (enqueued().length < n) {
        if (performance.now() > deadline) throw new Error(`Timed out waiting for tick ${n}: ${JSON.stringify(lines)}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const start = new Date("2026-06-11T12:00:00.000Z");
    // The schedulers' sleeps and their reading of the clock are fake; Postgres is real.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: start });
    const schedulers = [0, 1, 2].map(() => new Scheduler({ db: tdb.db, schedules: [s], logger }));
    try {
      await Promise.all(schedulers.map((scheduler) => scheduler.start()));
      expect(enqueued()).toEqual([]);
      // Each scheduler wakes 5 ms after a tick.
      await vi.advanceTimersByTimeAsync(5);
      for (let n = 1; n <= 10; n++) {
        await vi.advanceTimersByTimeAsync(999);
        expect(enqueued()).toHaveLength(n - 1);
        await vi.advanceTimersByTimeAsync(1);
        await untilEnqueued(n);
      }
    } finally {
      vi.useRealTimers();
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    }
    const expected = Array.from({ length: 10 }, (_, i) => new Date(start.getTime() + (i + 1) * 1000).toISOString());
    expect(enqueued().map((l) => l.tickAt)).toEqual(expected);
    const ticks = await tdb.db
      .selectFrom("errand_schedule_ticks")
      .select(["tick_at", "task_id"])
      .where("schedule_name", "=", "every.second")
      .orderBy("tick_at")
      .execute();
    expect(ticks.map((t) => t.tick_at.toISOString())).toEqual(expected);
    const tasks = await tdb.db
      .selectFrom("errand_tasks")
      .select("id")
      .where("task_name", "=", "schedules.report")
      .execute();
    expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(ticks.map((t) => t.task_id)));
  });
});

describe("checking schedules", () => {
  it("refuses a bad cron expression, time zone, argument list or a name used twice, in every option's words", () => {
    const check = (overrides: object) => () =>
      resolveSchedules([{ name: "reports.daily", task: report, cron: "0 9 * * *", args: ["x"], ...overrides }]);
    expect(check({ cron: "0 25 * * *" })).toThrow(
      'new Worker(): schedules[0].cron must be a cron expression, e.g. "0 9 * * 1-5" (Invalid value for hour: 25), got "0 25 * * *".',
    );
    expect(check({ timezone: "Europe/Atlantis" })).toThrow(
      'new Worker(): schedules[0].timezone must be an IANA time zone name such as "Europe/Paris" or "UTC", got "Europe/Atlantis".',
    );
    expect(check({ args: [new Date(0)] })).toThrow(
      `new Worker(): schedules[0].args must be a list of the task's arguments (args[0] is a Date; pass date.toISOString(), not a plain object), got ["1970-01-01T00:00:00.000Z"].`,
    );
    expect(check({ every: 5 })).toThrow(
      'new Worker(): unknown option "schedules[0].every"; schedules[0] takes name, task, cron, timezone, args.',
    );
    const twice = () =>
      resolveSchedules([
        { name: "a", task: report, cron: "* * * * *" },
        { name: "b", task: report, cron: "* * * * *" },
        { name: "a", task: report, cron: "* * * * *" },
      ]);
    expect(twice).toThrow('new Worker(): schedules[2].name must be unique (schedules[0].name is the same), got "a".');
    expect(twice).toThrow(InvalidWorkerOption);
  });

  it("a bad schedule stops the worker at start-up and errand schedules, naming it", async () => {
    const config = path.join(fixtures, "errand.bad-schedule.config.ts");
    const named =
      'schedules[0].timezone must be an IANA time zone name such as "Europe/Paris" or "UTC", got "Europe/Atlantis".';
    const worker = await runCli(["worker", "--config", config], { databaseUrl: tdb.url });
    expect(worker.code).not.toBe(0);
    expect(worker.stderr + worker.stdout).toContain(named);
    const listed = await runCli(["schedules", "--config", config], { databaseUrl: tdb.url });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain(named);
  });

  it("errand schedules lists each schedule with its next runs in its time zone", async () => {
    const config = path.join(fixtures, "errand.schedules.config.ts");
    const listed = await runCli(["schedules", "--config", config, "--runs", "2"], { databaseUrl: tdb.url });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^test\.everySecond {2}\* \* \* \* \* \* {2}\(Europe\/Paris\) {2}→ test\.noop$/m);
    expect(listed.stdout).toContain("last enqueued: never");
    expect(listed.stdout.match(/^ {2}next: \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? (CET|CEST|GMT\+\d)/gm)).toHaveLength(2);
  });
});

describe("three worker processes and a schedule every second", () => {
  it("enqueue each tick once between them", async () => {
    const config = path.join(fixtures, "errand.schedules.config.ts");
    const workers = [0, 1, 2].map(() => suite.startWorker(["--config", config, "--interval", "0.5"]));
    await Promise.all(workers.map((w) => w.waitForLine("worker started", (l) => l.includes('"worker started"'))));
    const { rows: start } = await sql<{ at: Date }>`SELECT now() AS at`.execute(tdb.db);
    const countTicks = async () =>
      (
        await tdb.db
          .selectFrom("errand_schedule_ticks")
          .select(sql<number>`count(*)::int`.as("n"))
          .where("tick_at", ">", start[0]!.at)
          .executeTakeFirstOrThrow()
      ).n;
    // Five ticks while all three run: each process has had its chance at each.
    await waitFor("five ticks", async () => (await countTicks()) >= 5, { timeoutMs: 60_000, everyMs: 200 });
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));

    const ticks = await tdb.db.selectFrom("errand_schedule_ticks").select(["tick_at", "task_id"]).execute();
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    // On the schedule's grid, whole seconds.
    expect(ticks.filter((t) => t.tick_at.getMilliseconds() !== 0)).toEqual([]);
    // Every tick has exactly one task, and every task of the schedule belongs to one tick.
    const tasks = await tdb.db.selectFrom("errand_tasks").select("id").where("task_name", "=", "test.noop").execute();
    expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(ticks.map((t) => t.task_id)));
    expect(tasks).toHaveLength(ticks.length);
    // Each tick was enqueued by one process: one log line per tick across the three.
    const enqueuedBy = workers.map(
      (w) =>
        logLines(w.stdout).filter((l) => l.msg === "schedule enqueued" || l.msg === "schedule caught up a missed tick")
          .length,
    );
    console.log(`schedule every second, 3 workers: ${ticks.length} ticks, enqueued by each: ${enqueuedBy.join(", ")}`);
    expect(enqueuedBy.reduce((a, b) => a + b, 0)).toBe(ticks.length);
  }, 90_000);
});
