import type { Writable } from 'node:stream';
import winston from 'winston';
import type { Config } from './config';

export type Logger = winston.Logger;
export type LogLevel = Config['LOG_LEVEL'];

export interface LoggerOptions {
  /** Where the JSON lines go; stdout when omitted. */
  stream?: Writable;
  silent?: boolean;
}

/** Errors in log metadata become {name, message, stack, code}; JSON.stringify would print `{}`. */
const serializeErrors = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (value instanceof Error) {
      const code = (value as NodeJS.ErrnoException).code;
      info[key] = { name: value.name, message: value.message, stack: value.stack, ...(code ? { code } : {}) };
    }
  }
  return info;
});

/**
 * One JSON object per line (DESIGN §8). Each process creates its own logger at start and passes
 * it down; there is no global one. Per-job lines come from jobLogger(), which adds job_id.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'> | LogLevel, options: LoggerOptions = {}): Logger {
  const level = typeof config === 'string' ? config : config.LOG_LEVEL;
  return winston.createLogger({
    level,
    silent: options.silent,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      serializeErrors(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [
      options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console(),
    ],
  });
}

/** A child logger whose every line carries job_id. */
export function jobLogger(logger: Logger, jobId: string): Logger {
  return logger.child({ job_id: jobId });
}
