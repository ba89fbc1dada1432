/** Settings of a backend that runs each task inside \`enqueue\` (tests, scripts). */
export interface ImmediateBackendSettings {
  backend: "immediate";
  queues?: string[] | undefined;
  /**
   * Finished results kept in memory; past it the oldest are forgotten (their
   * \`getResult\` then throws \`TaskResultDoesNotExist\`), so a long-running process does not
   * grow without bound. Default 10,000.
   */
  maxResults?: number | undefined;
}
