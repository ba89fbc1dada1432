/** Settings of a backend that runs each task inside `enqueue` (tests, scripts). */
export interface ImmediateBackendSettings {
  backend: "immediate";
  queues?: string[] | undefined;
}
