import { InvalidTaskBackend } from "../../errors";
import type { Backend } from "../backend";
import type { BackendOptions } from "../base-backend";
import type { CustomBackendSettings } from "./custom-backend-settings";

/** What every backend must have, checked when it is made so that a gap is named at once. */
const REQUIRED_METHODS = ["enqueue", "enqueueMany", "getRecord", "getResult", "close"] as const;
const CAPABILITY_FLAGS = ["supportsDefer", "supportsPriority", "supportsGetResult", "supportsAsyncTask"] as const;

/** A class (rather than a factory): `class` syntax, or a prototype that implements `enqueue`. */
function isClass(fn: CustomBackendSettings["backend"]): boolean {
  return (
    /^class[\s{]/.test(Function.prototype.toString.call(fn)) ||
    typeof (fn.prototype as { enqueue?: unknown } | undefined)?.enqueue === "function"
  );
}

/**
 * Makes the backend configured as `{ backend: YourBackend, ...options }` under `alias`, and
 * checks that it has what every backend needs.
 *
 * @throws InvalidTaskBackend naming the missing method or flag.
 */
export function createCustomBackend(alias: string, settings: CustomBackendSettings): Backend {
  const { backend: make, ...options } = settings;
  const name = make.name || "an anonymous factory";
  let backend: Backend;
  try {
    backend = isClass(make)
      ? new (make as unknown as new (alias: string, options: BackendOptions) => Backend)(alias, options)
      : (make as unknown as (alias: string, options: BackendOptions) => Backend)(alias, options);
  } catch (error) {
    throw new InvalidTaskBackend(
      alias,
      `Backend "${alias}" (${name}) could not be created: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof backend !== "object" || backend === null) {
    throw new InvalidTaskBackend(alias, `Backend "${alias}": ${name} returned ${String(backend)}, not a backend.`);
  }
  const missing = REQUIRED_METHODS.filter((method) => typeof backend[method] !== "function");
  if (missing.length > 0) {
    throw new InvalidTaskBackend(
      alias,
      `Backend "${alias}" (${name}) does not implement ${missing.map((m) => `${m}()`).join(", ")}: extend BaseBackend from @errand/core and implement ${missing.includes("enqueue") ? "enqueue()" : "them"}.`,
    );
  }
  const badFlags = CAPABILITY_FLAGS.filter((flag) => typeof backend[flag] !== "boolean");
  if (badFlags.length > 0) {
    throw new InvalidTaskBackend(
      alias,
      `Backend "${alias}" (${name}) must declare ${badFlags.join(", ")} as true or false (BaseBackend does).`,
    );
  }
  if (backend.alias !== alias) {
    throw new InvalidTaskBackend(
      alias,
      `Backend "${alias}" (${name}) reports alias ${JSON.stringify(backend.alias)}: keep the alias it is given.`,
    );
  }
  return backend;
}
