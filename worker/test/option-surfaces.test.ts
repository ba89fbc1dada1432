// Every option surface — task(), using(), configure() (its queues, backends, retention and
// schedules), new Worker() (its retention and schedules) and the CLI's flags — is checked by
// core's one validator: an unknown key is refused everywhere, and every surface says what
// was wrong in the same words, with its own typed error. Pure functions: no database.
import { afterAll, describe, expect, it } from "vitest";
import type { ErrandError } from "@errand/core";
import { configure, InvalidConfig, InvalidTask, InvalidTaskBackend, task, type ErrorCode } from "@errand/core";
import {
  BACKEND_OPTIONS,
  CONFIG_OPTIONS,
  describeOption,
  QUEUE_OPTIONS,
  RETENTION_OPTIONS,
  SCHEDULE_OPTIONS,
  TASK_OPTIONS,
  USING_OPTIONS,
  type OptionRule,
  type OptionTable,
} from "@errand/core/internal";
import { parseFlagValue, type FlagSpec } from "../src/cli/flags";
import { InvalidWorkerOption } from "../src/errors";
import { Worker } from "../src/worker";
import { WORKER_OPTIONS } from "../src/worker-options";

const noop = task({ name: "surfaces.noop" }, () => null);

afterAll(() => configure({ backends: { default: { backend: "dummy" } } }));

interface Surface {
  /** Calls the surface with `value` at the option under test. */
  call: (options: Record<string, unknown>) => unknown;
  where: string;
  /** Where the surface's options sit in its whole options (`queues.email`), or "". */
  at: string;
  /** The surface's option table. */
  table: OptionTable;
  /** An option of the table and a value its rule refuses. */
  bad: { key: string; value: unknown };
  errorClass: new (...args: never[]) => ErrandError;
  code: ErrorCode;
}

const SURFACES: Record<string, Surface> = {
  "task()": {
    call: (o) => task({ name: "surfaces.t", ...o } as never, () => null),
    where: 'task("surfaces.t")',
    at: "",
    table: TASK_OPTIONS,
    bad: { key: "maxAttempts", value: 0 },
    errorClass: InvalidTask,
    code: "INVALID_TASK",
  },
  "using()": {
    call: (o) => noop.using(o),
    where: 'task("surfaces.noop").using()',
    at: "",
    table: USING_OPTIONS,
    bad: { key: "repeat", value: 1.5 },
    errorClass: InvalidTask,
    code: "INVALID_TASK",
  },
  "configure()": {
    call: (o) => configure(o),
    where: "configure()",
    at: "",
    table: CONFIG_OPTIONS,
    bad: { key: "maxAttempts", value: 0 },
    errorClass: InvalidConfig,
    code: "INVALID_CONFIG",
  },
  "configure({ queues })": {
    call: (o) => configure({ queues: { email: o } }),
    where: "configure()",
    at: "queues.email",
    table: QUEUE_OPTIONS,
    bad: { key: "concurrency", value: -1 },
    errorClass: InvalidConfig,
    code: "INVALID_CONFIG",
  },
  "configure({ retention })": {
    call: (o) => configure({ retention: o } as never),
    where: "configure()",
    at: "retention",
    table: RETENTION_OPTIONS,
    bad: { key: "batchSize", value: 2.5 },
    errorClass: InvalidConfig,
    code: "INVALID_CONFIG",
  },
  "configure({ backends })": {
    call: (o) => configure({ backends: { main: { backend: "immediate", ...o } as never } }),
    where: "configure()",
    at: "backends.main",
    table: BACKEND_OPTIONS.immediate,
    bad: { key: "maxResults", value: 0 },
    errorClass: InvalidTaskBackend,
    code: "INVALID_TASK_BACKEND",
  },
  "new Worker()": {
    call: (o) => new Worker(o),
    where: "new Worker()",
    at: "",
    table: Object.fromEntries(Object.entries(WORKER_OPTIONS).map(([key, spec]) => [key, spec.rule as OptionRule])),
    bad: { key: "concurrency", value: 0 },
    errorClass: InvalidWorkerOption,
    code: "INVALID_CONFIG",
  },
  "new Worker({ retention })": {
    call: (o) => new Worker({ retention: o }),
    where: "new Worker()",
    at: "retention",
    table: RETENTION_OPTIONS,
    bad: { key: "successfulDays", value: 0 },
    errorClass: InvalidWorkerOption,
    code: "INVALID_CONFIG",
  },
  "new Worker({ schedules })": {
    call: (o) => new Worker({ schedules: [{ name: "s", task: noop, cron: "* * * * *", ...o }] }),
    where: "new Worker()",
    at: "schedules[0]",
    table: SCHEDULE_OPTIONS,
    bad: { key: "cron", value: 5 },
    errorClass: InvalidWorkerOption,
    code: "INVALID_CONFIG",
  },
};

function thrown(fn: () => unknown): ErrandError {
  try {
    fn();
  } catch (error) {
    return error as ErrandError;
  }
  throw new Error("expected it to throw");
}

const join = (at: string, key: string) => (at === "" ? key : `${at}.${key}`);
const show = (value: unknown) => (typeof value === "number" ? String(value) : JSON.stringify(value));

describe.each(Object.entries(SURFACES))("%s", (_, surface) => {
  it("refuses an unknown option, naming it and every option it takes", () => {
    const error = thrown(() => surface.call({ colour: "blue" }));
    expect(error.message).toBe(
      `${surface.where}: unknown option "${join(surface.at, "colour")}"; ${surface.at || "it"} takes ${Object.keys(surface.table).join(", ")}.`,
    );
    expect(error).toBeInstanceOf(surface.errorClass);
    expect(error.code).toBe(surface.code);
  });

  it("refuses a bad value, saying what it must be and what it got", () => {
    const { key, value } = surface.bad;
    const error = thrown(() => surface.call({ [key]: value }));
    const described = describeOption(surface.table[key]!);
    expect(error.message).toBe(`${surface.where}: ${join(surface.at, key)} must be ${described}, got ${show(value)}.`);
    expect(error).toBeInstanceOf(surface.errorClass);
    expect(error.code).toBe(surface.code);
  });
});

describe("one wording", () => {
  it("every surface's messages have the same two shapes", () => {
    const unknown = /^.+: unknown option "[^"]+"; \S+ takes [\w, ]+\.$/;
    const bad = /^.+: \S+ must be .+, got .+\.$/;
    for (const surface of Object.values(SURFACES)) {
      expect(thrown(() => surface.call({ colour: "blue" })).message).toMatch(unknown);
      expect(thrown(() => surface.call({ [surface.bad.key]: surface.bad.value })).message).toMatch(bad);
    }
  });

  it("a flag of errand worker says what its option says, naming the flag", () => {
    const option = thrown(() => new Worker({ leaseSeconds: 0 })).message;
    expect(option).toBe("new Worker(): leaseSeconds must be a positive number of seconds, got 0.");
    expect(() => parseFlagValue(WORKER_OPTIONS.leaseSeconds as FlagSpec, "0")).toThrow(
      '--lease must be a positive number of seconds, got "0".',
    );
  });

  it("a bad configure() maxAttempts is an InvalidConfig naming the setting, not an InvalidTaskBackend", () => {
    const error = thrown(() => configure({ maxAttempts: 1.5 }));
    expect(error).toBeInstanceOf(InvalidConfig);
    expect(error).not.toBeInstanceOf(InvalidTaskBackend);
    expect((error as InvalidConfig).setting).toBe("maxAttempts");
    expect(error.message).toBe("configure(): maxAttempts must be a positive integer, got 1.5.");
  });

  it("a backend alias or queue name holding a dot is named whole, in the message and on the error", () => {
    const setting = thrown(() => configure({ backends: { "eu.primary": { backend: "immediate", maxResults: 0 } } }));
    expect(setting).toBeInstanceOf(InvalidTaskBackend);
    expect((setting as InvalidTaskBackend).backend).toBe("eu.primary");
    expect(setting.message).toBe("configure(): backends['eu.primary'].maxResults must be a positive integer, got 0.");

    const unknown = thrown(() => configure({ backends: { "eu.primary": { backend: "dummy", colour: 1 } as never } }));
    expect((unknown as InvalidTaskBackend).backend).toBe("eu.primary");
    expect(unknown.message).toBe(
      `configure(): unknown option "backends['eu.primary'].colour"; backends['eu.primary'] takes backend, queues.`,
    );

    const entry = thrown(() => configure({ backends: { "eu.primary": 5 as never } }));
    expect((entry as InvalidTaskBackend).backend).toBe("eu.primary");

    const queue = thrown(() => configure({ queues: { "email.bulk": { concurrency: 0 } } }));
    expect(queue).toBeInstanceOf(InvalidConfig);
    expect((queue as InvalidConfig).setting).toBe("queues['email.bulk'].concurrency");
  });

  it("configure() takes the rest of an errand.config.ts, checked with the worker's tables", () => {
    expect(() =>
      configure({
        backends: { default: { backend: "dummy" } },
        tasks: ["./tasks.ts"],
        retention: { successfulDays: 7 },
        schedules: [{ name: "s", task: noop, cron: "* * * * *" }],
      } as never),
    ).not.toThrow();
    expect(() => configure({ tasks: [""] } as never)).toThrow(
      'configure(): tasks[0] must be a non-empty string, got "".',
    );
    const schedule = { task: noop, cron: "* * * * *" };
    expect(() => configure({ schedules: [{ name: "s", ...schedule, timezone: "Mars/Olympus" }] } as never)).toThrow(
      'configure(): schedules[0].timezone must be an IANA time zone name such as "Europe/Paris" or "UTC", got "Mars/Olympus".',
    );
    expect(() =>
      configure({
        schedules: [
          { name: "s", ...schedule },
          { name: "s", ...schedule },
        ],
      } as never),
    ).toThrow('configure(): schedules[1].name must be unique (schedules[0].name is the same), got "s".');
  });
});
