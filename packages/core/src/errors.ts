/** An error with a stable, machine-readable code that callers may branch on. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration is missing or malformed: the process cannot start. */
export class ConfigError extends DomainError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}
