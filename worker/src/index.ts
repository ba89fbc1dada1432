export { Worker, type WorkerEvents, type WorkerOptions } from "./worker";
export {
  createLogger,
  isLogLevel,
  LOG_LEVELS,
  silentLogger,
  type CreateLoggerOptions,
  type LogFields,
  type Logger,
  type LogLevel,
} from "./logger";
export { loadConfig, CONFIG_FILE_NAMES, type LoadedConfig } from "./load-config";
export { installSignalHandlers } from "./signals";
export { defaultWorkerId, MAX_WORKER_ID_LENGTH } from "./worker-id";
export { InvalidWorkerOption, LeaseLost, WorkerShutdown } from "./errors";
