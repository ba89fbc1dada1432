// The worker's task announcements, without a worker: who hears them, and what a throwing
// listener costs (a log line, not the claim loop).
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { taskEvents, type TaskEvent, type TaskRecord } from "@errand/core";
import type { LogFields, Logger } from "../src/logger";
import { TaskEventAnnouncer, type WorkerEvents } from "../src/worker-events";
import { memoryStore } from "./helpers";

/** A logger keeping its error lines. */
function errorLog(): { logger: Logger; errors: { msg: string; fields?: LogFields }[] } {
  const errors: { msg: string; fields?: LogFields }[] = [];
  const ignore = () => {};
  return {
    errors,
    logger: { debug: ignore, info: ignore, warn: ignore, error: (msg, fields) => errors.push({ msg, fields }) },
  };
}

async function oneRecord(): Promise<TaskRecord> {
  const { tasks } = await memoryStore([{ taskName: "test.announce" }]);
  return tasks[0]!;
}

afterEach(() => {
  taskEvents.removeAllListeners();
});

describe("TaskEventAnnouncer", () => {
  it("is wanted only while the worker or taskEvents has a listener for the event", () => {
    const worker = new EventEmitter<WorkerEvents>();
    const announcer = new TaskEventAnnouncer(worker, errorLog().logger);
    expect(announcer.wanted("started")).toBe(false);
    worker.on("taskStarted", () => {});
    expect(announcer.wanted("started")).toBe(true);
    expect(announcer.wanted("finished")).toBe(false);
    taskEvents.on("finished", () => {});
    expect(announcer.wanted("finished")).toBe(true);
  });

  it("emits the worker's own event, then core's taskEvents, with the record", async () => {
    const record = await oneRecord();
    const worker = new EventEmitter<WorkerEvents>();
    const heard: string[] = [];
    worker.on("taskFinished", (r) => heard.push(`worker:${r.id}`));
    taskEvents.on("finished", (event: TaskEvent) => heard.push(`core:${event.record.id}:${event.backend}`));
    new TaskEventAnnouncer(worker, errorLog().logger).announce("finished", record);
    expect(heard).toEqual([`worker:${record.id}`, `core:${record.id}:memory`]);
  });

  it("logs a worker listener that throws and still tells taskEvents", async () => {
    const record = await oneRecord();
    const worker = new EventEmitter<WorkerEvents>();
    const { logger, errors } = errorLog();
    worker.on("taskStarted", () => {
      throw new Error("listener bug");
    });
    let coreHeard = 0;
    taskEvents.on("started", () => (coreHeard += 1));
    expect(() => new TaskEventAnnouncer(worker, logger).announce("started", record)).not.toThrow();
    expect(errors).toEqual([{ msg: 'a "taskStarted" listener threw; carrying on', fields: { error: "listener bug" } }]);
    expect(coreHeard).toBe(1);
  });
});
