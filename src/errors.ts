/**
 * Named errors. Each has a stable `code` and a `category`: `client` errors are the caller's fault (4xx), `server`
 * errors are ours or a backend's (5xx/503). Match errors by class or `code`, never by message text. The HTTP layer
 * maps them to statuses in one place (src/server/error-mapping.ts).
 */
export type ErrorCategory = 'client' | 'server';

export class FeedloopError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  /** The request field or parameter at fault, as a JSON-pointer-like path (e.g. `events/3/user_id`), if any. */
  readonly field: string | undefined;
  constructor(code: string, category: ErrorCategory, message: string, field?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.category = category;
    this.field = field;
  }
}

/** Input that fails validation: wrong type, missing field, out of range. */
export class ValidationError extends FeedloopError {
  constructor(message: string, field?: string, code = 'invalid_field') {
    super(code, 'client', message, field);
  }
}

/** A referenced entity does not exist (where existence is required). */
export class NotFoundError extends FeedloopError {
  constructor(message: string, field?: string) {
    super('not_found', 'client', message, field);
  }
}

/**
 * A storage backend cannot take writes or serve reads right now (disk full, fsync failed, connection lost).
 * Nothing was acknowledged; the caller may retry with the same idempotency keys.
 */
export class BackendUnavailableError extends FeedloopError {
  constructor(message: string, options?: ErrorOptions) {
    super('backend_unavailable', 'server', message, undefined, options);
  }
}

/** Stored data failed an integrity check (bad CRC in the middle of a segment, unreadable snapshot). */
export class CorruptDataError extends FeedloopError {
  constructor(message: string, options?: ErrorOptions) {
    super('corrupt_data', 'server', message, undefined, options);
  }
}

/** Invalid configuration file or environment override; names the config key. */
export class ConfigError extends FeedloopError {
  constructor(message: string, field?: string) {
    super('invalid_config', 'client', message, field);
  }
}
