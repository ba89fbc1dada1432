import { randomBytes } from "node:crypto";
import os from "node:os";

export { MAX_WORKER_ID_LENGTH } from "@errand/core";

/**
 * `host-pid-random`: unique per process, and readable in the UI's attempt list. The random
 * part keeps two processes with a recycled pid (containers) apart.
 */
export function defaultWorkerId(): string {
  const host =
    os
      .hostname()
      .replace(/[^\w.-]/g, "")
      .slice(0, 40) || "worker";
  return `${host}-${process.pid}-${randomBytes(4).toString("hex")}`;
}
