import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINISHED_STATUSES, isFinishedStatus, TASK_STATUSES } from "@errand/core";

// The statuses have one home (task/task-status.ts); the schema's CHECK constraints and
// triggers hold them as literals, frozen in their migrations. The checked-in dump is what the
// migrations build (kysely/test/schema.test.ts); here it must agree with the constants.
const schema = readFileSync(new URL("../../../kysely/schema.sql", import.meta.url), "utf8");
const quoted = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(", ");
const asArray = (statuses: readonly string[]) => `ARRAY[${statuses.map((s) => `'${s}'::text`).join(", ")}]`;

describe("the task statuses", () => {
  it("are the ones the schema allows", () => {
    expect(schema).toContain(`CONSTRAINT errand_tasks_status_valid CHECK ((status = ANY (${asArray(TASK_STATUSES)})))`);
  });

  it("finish in the statuses the schema gives a finished_at", () => {
    expect(schema).toContain(
      `CONSTRAINT errand_tasks_finished_iff_finished_at CHECK (((status = ANY (${asArray(FINISHED_STATUSES)})) = (finished_at IS NOT NULL)))`,
    );
    // The triggers' lists of finished statuses (counters, dependencies, timings): every one is FINISHED_STATUSES.
    const lists = [...schema.matchAll(/status IN \(([^)]*)\)/g)].map((m) => m[1]);
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lists)).toEqual(new Set([quoted(FINISHED_STATUSES)]));
  });

  it("isFinishedStatus is true of exactly FINISHED_STATUSES", () => {
    expect(TASK_STATUSES.filter(isFinishedStatus)).toEqual([...FINISHED_STATUSES]);
    expect(isFinishedStatus(undefined)).toBe(false);
    expect(isFinishedStatus(null)).toBe(false);
  });
});
