// `docker stop` without Docker: start the worker with the command the worker README puts in a
// Dockerfile (WORKER_CMD, exec form, taken from the README by run.mjs), enqueue a task that runs
// for 3 s, and once it is RUNNING send SIGTERM to that one process, as Docker signals a
// container's PID 1. The task must be stored SUCCESSFUL before the process exits 0.
// Then the same through `npx errand worker`, signalling npm's process only: npm exits at once
// without passing SIGTERM on, and the worker, orphaned, must still finish the task and exit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeBackends, configure } from "@errand/core";
import config from "./errand.config.mjs";
import { slow } from "./tasks.mjs";

configure({ backends: config.backends });
const TASK_MS = 3000;

/** This environment without npm's variables, as in a container that starts node itself. */
const plainEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));

function startWorker(command) {
  const [cmd, ...args] = command;
  // Its own process group, so that a failed run can clean up everything it started.
  const child = spawn(cmd, args, { detached: true, env: plainEnv, stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  let stderr = "";
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop();
    for (const line of parts) lines.push(line);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, at: new Date() })),
  );
  return { child, lines, exited, stderr: () => stderr };
}

async function until(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A task the worker has started: RUNNING in the row may still be claimed ahead, not started. */
async function runningTask(worker) {
  const result = await slow.enqueue(TASK_MS);
  await until("the task to be RUNNING", async () => (await result.refresh()).status === "RUNNING");
  if (worker) {
    await until("the worker to start the task", () =>
      worker.lines.some((line) => line.includes('"task started"') && line.includes(result.id)),
    );
  }
  return result;
}

const started = [];
try {
  // 1. The exec form: SIGTERM to the node process itself.
  const command = JSON.parse(process.env.WORKER_CMD);
  assert.equal(command[0], "node", `the README's command starts ${command[0]}, not node`);
  const worker = startWorker(command);
  started.push(worker.child);
  const result = await runningTask(worker);
  const sentAt = new Date();
  worker.child.kill("SIGTERM");
  const exit = await Promise.race([
    worker.exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error("the worker did not exit within 60 s")), 60_000)),
  ]);
  assert.deepEqual([exit.code, exit.signal], [0, null], `worker exit: ${JSON.stringify(exit)}\n${worker.stderr()}`);
  await result.refresh();
  assert.equal(result.status, "SUCCESSFUL", `status ${result.status}: ${JSON.stringify(result.errors)}`);
  assert.equal(result.attempts, 1);
  assert.equal(result.returnValue.pid, worker.child.pid, "another process ran the task");
  assert.ok(result.finishedAt <= exit.at, "the result was stored after the process exited");
  const logged = worker.lines.map((l) => JSON.parse(l));
  const startLine = logged.find((l) => l.msg === "worker started");
  assert.equal(startLine?.listening, true, "the worker does not LISTEN on the config's listenUrl");
  const messages = logged.map((l) => l.msg);
  const term = messages.findIndex((m) => m.startsWith("SIGTERM received"));
  assert.ok(term >= 0, `no "SIGTERM received" line:\n${worker.lines.join("\n")}`);
  // Tasks an earlier step left pending may run first: look for this task's line.
  const finished = logged.findIndex((l) => l.msg === "task finished" && l.taskId === result.id);
  assert.ok(finished > term, `the task did not finish after SIGTERM:\n${worker.lines.join("\n")}`);
  assert.equal(messages.at(-1), "worker stopped");

  // 2. Through npx: npm exits at once (143); the orphaned worker finishes the task and exits.
  const viaNpx = startWorker(["npx", "--no-install", "errand", "worker"]);
  started.push(viaNpx.child);
  const second = await runningTask();
  viaNpx.child.kill("SIGTERM");
  const npmExit = await viaNpx.exited;
  await until("the task to finish", async () => (await second.refresh()).isFinished);
  assert.equal(second.status, "SUCCESSFUL", `status ${second.status}: ${JSON.stringify(second.errors)}`);
  const workerPid = second.returnValue.pid;
  await until("the orphaned worker to exit", () => !alive(workerPid), 30_000);
  assert.equal(second.attempts, 1);

  await closeBackends();
  console.log(
    `SCENARIO_RESULT ${JSON.stringify({
      exec: { code: exit.code, stoppedInMs: exit.at - sentAt },
      npx: { npmExit: npmExit.code ?? npmExit.signal, status: second.status },
    })}`,
  );
} finally {
  for (const child of started) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}
