/** Settings of a backend that stores tasks in memory and never runs them (tests). */
export interface DummyBackendSettings {
  backend: "dummy";
  queues?: string[] | undefined;
}
