import type { Backend } from "../backend";
import type { BackendOptions } from "../base-backend";

/**
 * A backend class: `new YourBackend(alias, options)`. Extend `BaseBackend`, or implement
 * `Backend` yourself.
 */
export type BackendClass = abstract new (alias: string, options: never) => Backend;

/** A function that makes the backend: `(alias, options) => backend`. */
export type BackendFactory = (alias: string, options: never) => Backend;

/**
 * A backend of your own in `configure({ backends })`: the class (or factory) under
 * `backend`, its options beside it. The class receives `(alias, options)`, `options`
 * being everything but `backend`.
 *
 * @example
 * configure({ backends: { jobs: { backend: LoggingBackend, prefix: "[jobs] " } } });
 */
export interface CustomBackendSettings extends BackendOptions {
  backend: BackendClass | BackendFactory;
}
