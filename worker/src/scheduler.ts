import { Cron } from "croner";
import { sql, type Kysely } from "kysely";
import type { Database } from "@errand/db";
import { InvalidTaskArgumentsError, type AnyTask, type ScheduleDefinition } from "@errand/core";
import { checkOptions, invalidOption, SCHEDULE_OPTIONS, SCHEDULES_RULE, toErrandError } from "@errand/core/internal";
import { workerSurface } from "./worker-surface";
import type { Logger } from "./logger";

/** A schedule checked at start-up: a parsed cron in its time zone, arguments validated. */
export interface ResolvedSchedule {
  name: string;
  task: AnyTask;
  cron: string;
  timezone: string;
  args: unknown[];
  /** The parsed pattern (never started: ticks are computed, not timed, by croner). */
  pattern: Cron;
}

/**
 * Checks the config's `schedules` against `SCHEDULES_RULE` (unique names, a task, a time
 * zone `Intl` knows), then what only the worker can: the cron expression (croner parses it)
 * and the arguments (the task's `validateArgs`). Messages have the shape of every option's.
 *
 * @throws InvalidWorkerOption naming the schedule's option and what it must be, e.g.
 *   `new Worker(): schedules[0].cron must be a cron expression, e.g. "0 9 * * 1-5" (Invalid value for hour: 25), got "0 25 * * *".`
 * @example
 * resolveSchedules([{ name: "reports.daily", task: sendDailyReport, cron: "0 9 * * 1-5", timezone: "Europe/Paris" }]);
 */
export function resolveSchedules(schedules: ScheduleDefinition[] | undefined): ResolvedSchedule[] {
  if (schedules === undefined) return [];
  const surface = workerSurface();
  checkOptions({ schedules }, { schedules: SCHEDULES_RULE }, surface);
  return schedules.map((s, i) => {
    const timezone = s.timezone ?? "UTC";
    let pattern: Cron;
    try {
      pattern = new Cron(s.cron, { timezone, paused: true });
    } catch (error) {
      // croner's reason, without its class name: "CronPattern: Invalid value for hour: 25".
      const hint = toErrandError(error).message.replace(/^Cron\w*: /, "");
      throw invalidOption(surface, {
        path: ["schedules", i, "cron"],
        rule: { ...SCHEDULE_OPTIONS.cron, hint },
        value: s.cron,
      });
    }
    let args: unknown[];
    try {
      args = s.task.validateArgs(s.args ?? []);
    } catch (error) {
      if (!(error instanceof InvalidTaskArgumentsError)) throw error;
      const hint = `${error.path} ${error.problem}`;
      throw invalidOption(surface, {
        path: ["schedules", i, "args"],
        rule: { ...SCHEDULE_OPTIONS.args, hint },
        value: s.args,
      });
    }
    return { name: s.name, task: s.task, cron: s.cron, timezone, args, pattern };
  });
}

/** At most this many ticks are computed per check (a schedule every second missed for hours). */
const MAX_TICKS = 10_000;

/** The schedule's ticks after `from` (exclusive) up to `to` (inclusive), oldest first; at most 10,000. */
export function ticksBetween(schedule: ResolvedSchedule, from: Date, to: Date): Date[] {
  const ticks: Date[] = [];
  const limit = MAX_TICKS;
  let cursor: Date | null = from;
  while (ticks.length < limit) {
    cursor = schedule.pattern.nextRun(cursor);
    if (!cursor || cursor.getTime() > to.getTime()) break;
    ticks.push(cursor);
  }
  return ticks;
}

/** The next `count` ticks after `from`. */
export function nextTicks(schedule: ResolvedSchedule, count: number, from = new Date()): Date[] {
  return schedule.pattern.nextRuns(count, from);
}

/**
 * Enqueues the task of one tick, once: the tick's row (primary key schedule, tick time) and
 * the task are written in one transaction, and a worker whose insert finds the row taken
 * enqueues nothing. `true` when this call enqueued it.
 */
export async function claimTick(db: Kysely<Database>, schedule: ResolvedSchedule, tickAt: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("errand_schedule_ticks")
      .values({ schedule_name: schedule.name, tick_at: tickAt })
      .onConflict((oc) => oc.columns(["schedule_name", "tick_at"]).doNothing())
      .returning("tick_at")
      .executeTakeFirst();
    if (!inserted) return false;
    const result = await schedule.task.using({ transaction: trx }).enqueue(...schedule.args);
    await trx
      .updateTable("errand_schedule_ticks")
      .set({ task_id: result.id })
      .where("schedule_name", "=", schedule.name)
      .where("tick_at", "=", tickAt)
      .execute();
    // Only the latest tick matters (missed ticks are caught up from it): keep a day of history.
    await trx
      .deleteFrom("errand_schedule_ticks")
      .where("schedule_name", "=", schedule.name)
      .where("tick_at", "<", sql<Date>`${tickAt}::timestamptz - interval '1 day'`)
      .execute();
    return true;
  });
}

/** The latest tick of each schedule that was enqueued, by name. */
export async function lastTicks(db: Kysely<Database>, names: string[]): Promise<Map<string, Date>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .selectFrom("errand_schedule_ticks")
    .select(["schedule_name", (eb) => eb.fn.max("tick_at").as("last")])
    .where("schedule_name", "in", names)
    .groupBy("schedule_name")
    .execute();
  return new Map(rows.map((r) => [r.schedule_name, new Date(r.last)]));
}

/** The longest a scheduler sleeps, so a changed clock or a lost wake-up costs at most this. */
const MAX_SLEEP_MS = 60_000;

/**
 * Enqueues the config's cron schedules from inside every worker: each worker wakes at the
 * next tick of any schedule and tries to claim it (`claimTick`); the tick's unique row lets
 * exactly one of them enqueue, on one host or many. At start-up, ticks missed while no
 * worker ran are enqueued once: only the latest, not a replay. A schedule never enqueued
 * before starts from now.
 *
 * @example
 * const scheduler = new Scheduler({ db, schedules: resolveSchedules(config.schedules), logger });
 * await scheduler.start();
 */
export class Scheduler {
  readonly #options: { db: Kysely<Database>; schedules: ResolvedSchedule[]; logger: Logger; now?: () => Date };
  readonly #checkedUpTo = new Map<string, Date>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #busy: Promise<void> | null = null;
  #stopped = false;

  constructor(options: { db: Kysely<Database>; schedules: ResolvedSchedule[]; logger: Logger; now?: () => Date }) {
    this.#options = options;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  /** Catches up missed ticks (the latest of each schedule), then wakes at every tick. */
  async start(): Promise<void> {
    const { db, schedules } = this.#options;
    const last = await lastTicks(
      db,
      schedules.map((s) => s.name),
    );
    const now = this.#now();
    for (const s of schedules) this.#checkedUpTo.set(s.name, last.get(s.name) ?? now);
    await this.#check(true);
    this.#sleep();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#busy;
  }

  #sleep(): void {
    if (this.#stopped || this.#options.schedules.length === 0) return;
    const now = this.#now();
    const next = Math.min(
      ...this.#options.schedules.map((s) => s.pattern.nextRun(now)?.getTime() ?? Infinity),
      now.getTime() + MAX_SLEEP_MS,
    );
    // A few ms late, so the tick is in the past on every clock reading.
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#busy = this.#check(false).finally(() => {
          this.#busy = null;
          this.#sleep();
        });
      },
      Math.max(next - now.getTime() + 5, 0),
    );
    this.#timer.unref();
  }

  /** Claims the latest due tick of each schedule not yet checked. */
  async #check(catchingUp: boolean): Promise<void> {
    const now = this.#now();
    for (const schedule of this.#options.schedules) {
      const from = this.#checkedUpTo.get(schedule.name) ?? now;
      const due = ticksBetween(schedule, from, now);
      this.#checkedUpTo.set(schedule.name, now);
      const tick = due.at(-1);
      if (!tick) continue;
      try {
        const enqueued = await claimTick(this.#options.db, schedule, tick);
        if (enqueued) {
          this.#options.logger.info(catchingUp ? "schedule caught up a missed tick" : "schedule enqueued", {
            schedule: schedule.name,
            task: schedule.task.name,
            tickAt: tick.toISOString(),
            ...(due.length > 1 ? { missedTicks: due.length - 1 } : {}),
          });
        }
      } catch (error) {
        this.#options.logger.error("schedule could not enqueue its tick", {
          schedule: schedule.name,
          tickAt: tick.toISOString(),
          error: toErrandError(error).message,
        });
      }
    }
  }
}
