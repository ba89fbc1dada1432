// The thread a task defined with `isolate: "thread"` runs in, one per attempt. It loads
// the worker's config (backends) and task modules, finds the task by name in its own
// registry, runs it through `runTask` and posts the outcome. Emitted as its own file in
// dist/ (a tsdown entry) and loaded by URL beside the code that starts it.
import { parentPort, workerData } from "node:worker_threads";
import { configure, getBackend, TaskNotRegistered, TaskResult, type TaskRecord } from "@errand/core";
import { errorToTaskError, mayRetry, registeredTasks, runTask } from "@errand/core/internal";
import { loadConfig } from "../load-config";
import type { IsolatedTaskData, ThreadMessage } from "./thread-messages";

const data = workerData as IsolatedTaskData;

function post(message: ThreadMessage): void {
  parentPort!.postMessage(message);
}

async function main(): Promise<void> {
  if (data.configFile) {
    const loaded = await loadConfig({ configPath: data.configFile });
    const { tasks: _tasks, backends, ...settings } = loaded.config;
    // The worker process migrated (or not) already: the thread never does.
    const quiet = Object.fromEntries(
      Object.entries(backends ?? {}).map(([alias, b]) => [
        alias,
        b.backend === "database" ? { ...b, migrate: false } : b,
      ]),
    );
    configure({ ...settings, ...(backends ? { backends: quiet } : {}) });
  }
  for (const href of data.taskModules) await import(href);
  const record = data.record as TaskRecord;
  const task = registeredTasks().get(record.taskName);
  if (!task) {
    const error = new TaskNotRegistered(record.taskName);
    post({ type: "done", ok: false, error: errorToTaskError(error, record.attempts), doNotRetry: true });
    return;
  }
  const outcome = await runTask({
    task,
    result: new TaskResult(record, getBackend(record.backend)),
    attempt: record.attempts,
    dependencies: data.dependencies,
    setProgress: (done, total) => {
      post({ type: "progress", done, total });
      return Promise.resolve();
    },
  });
  if (outcome.ok) post({ type: "done", ok: true, json: outcome.json });
  else {
    post({
      type: "done",
      ok: false,
      error: errorToTaskError(outcome.error, record.attempts),
      doNotRetry: !mayRetry(outcome.error),
    });
  }
}

main().catch((error: unknown) => {
  post({ type: "done", ok: false, error: errorToTaskError(error, data.record.attempts), doNotRetry: false });
});
