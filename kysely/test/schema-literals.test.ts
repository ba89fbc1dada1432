import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENQUEUE_CHANNEL, FEED_LISTENER_EXPIRY_SECONDS, MAX_LISTED_CHANGES, TASK_CHANGES_CHANNEL } from "@errand/db";

// A migration is frozen in time, so its SQL holds literals, not the TS constants. The
// checked-in dump (kept equal to what the migrations build by schema.test.ts) must hold the
// same values as the constants every runtime user imports.
const schema = readFileSync(new URL("../schema.sql", import.meta.url), "utf8");

/** Every match of `pattern`'s first group in the schema. */
function all(pattern: RegExp): string[] {
  return [...schema.matchAll(pattern)].map((m) => m[1]!);
}

/** The body of one function of the dump, from its CREATE to the closing `$$;`. */
function functionBody(name: string): string {
  const start = schema.indexOf(`CREATE FUNCTION public.${name}()`);
  expect(start, `function ${name} in schema.sql`).toBeGreaterThanOrEqual(0);
  return schema.slice(start, schema.indexOf("$$;", start));
}

describe("the schema's literals", () => {
  it("NOTIFY only on the channels of notify-channels.ts", () => {
    expect(new Set(all(/pg_notify\('([^']+)'/g))).toEqual(new Set([ENQUEUE_CHANNEL, TASK_CHANGES_CHANNEL]));
    expect(functionBody("errand_tasks_notify")).toContain(`pg_notify('${ENQUEUE_CHANNEL}', q)`);
    for (const op of ["insert", "update", "delete", "truncate"]) {
      expect(functionBody(`errand_task_changes_${op}`)).toContain(`pg_notify('${TASK_CHANGES_CHANNEL}'`);
    }
  });

  it("list at most MAX_LISTED_CHANGES changes in one NOTIFY", () => {
    expect(all(/IF n > (\d+) THEN PERFORM nextval/g)).toEqual([String(MAX_LISTED_CHANGES), String(MAX_LISTED_CHANGES)]);
    for (const op of ["insert", "update"]) {
      const body = functionBody(`errand_task_changes_${op}`);
      expect(body).toContain(`LIMIT ${MAX_LISTED_CHANGES + 1}) c;`);
      expect(body).toContain(`IF n > ${MAX_LISTED_CHANGES} THEN PERFORM nextval('errand_task_changes_seq');`);
    }
  });

  it("trust a feed's mark for FEED_LISTENER_EXPIRY_SECONDS", () => {
    const intervals = all(/errand_feed_listeners WHERE seen_at > now\(\) - interval '([^']+)'/g);
    expect(intervals).toHaveLength(4);
    expect(new Set(intervals)).toEqual(new Set([`${FEED_LISTENER_EXPIRY_SECONDS} seconds`]));
  });
});
