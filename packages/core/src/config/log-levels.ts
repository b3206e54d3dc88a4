import { oneOf } from './variables';

/** pino's levels, the only values LOG_LEVEL may take: a typo must not silence the logs. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL as every process of the repository reads it. */
export const logLevelVariable = oneOf(LOG_LEVELS, { default: 'info', doc: 'pino level' });
