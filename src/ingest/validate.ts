/**
 * Validation at the edge: one compiled validator per payload schema (Ajv over the TypeBox schemas in
 * src/domain/schemas.ts). Each element is checked on its own and a failure is reported with a machine code and the
 * path of the field at fault, so a client can fix exactly that field.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EVENT_TYPES, EventSchemas, ItemSchema, UserSchema, type EventType, type Item, type User, type WireEvent } from '../domain/schemas.js';

export interface FieldError {
  code: string;
  field: string;
  message: string;
}

/** A validated value, or the first error found in it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: FieldError };
const fail = (code: string, field: string, message: string): { ok: false; error: FieldError } => ({ ok: false, error: { code, field, message } });

const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false });
const eventValidators = new Map<string, ValidateFunction>(
  EVENT_TYPES.map((t) => [t, ajv.compile(EventSchemas[t])] as const),
);
const itemValidator = ajv.compile(ItemSchema);
const userValidator = ajv.compile(UserSchema);

/** Validates one raw event; returns the typed event or the first error. */
export function validateEvent(raw: unknown): Checked<WireEvent> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not_an_object', '', 'an event must be a JSON object');
  const type = (raw as { type?: unknown }).type;
  if (type === undefined) return fail('missing_field', 'type', `type is required (one of ${EVENT_TYPES.join(', ')})`);
  const v = typeof type === 'string' ? eventValidators.get(type) : undefined;
  if (!v) return fail('unknown_event_type', 'type', `unknown event type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES.join(', ')}`);
  return v(raw) ? { ok: true, value: raw as WireEvent } : { ok: false, error: toFieldError(v.errors![0], `${type as EventType} event`) };
}

export function validateItem(raw: unknown): Checked<Item> {
  return validateWith<Item>(itemValidator, raw, 'item');
}

export function validateUser(raw: unknown): Checked<User> {
  return validateWith<User>(userValidator, raw, 'user');
}

function validateWith<T>(v: ValidateFunction, raw: unknown, what: string): Checked<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not_an_object', '', `${what} must be a JSON object`);
  return v(raw) ? { ok: true, value: raw as T } : { ok: false, error: toFieldError(v.errors![0], what) };
}

function toFieldError(e: ErrorObject, what: string): FieldError {
  const path = e.instancePath.split('/').filter(Boolean).join('.');
  const join = (name: string) => (path ? `${path}.${name}` : name);
  switch (e.keyword) {
    case 'required': {
      const f = join(String(e.params.missingProperty));
      return { code: 'missing_field', field: f, message: `${f} is required in a ${what}` };
    }
    case 'additionalProperties': {
      const f = join(String(e.params.additionalProperty));
      return { code: 'unknown_field', field: f, message: `${f} is not a field of a ${what}` };
    }
    case 'type':
      return { code: 'invalid_type', field: path, message: `${path} must be ${e.params.type === 'integer' ? 'an integer' : `a ${e.params.type}`}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { code: 'out_of_range', field: path, message: `${path} ${e.message ?? 'is out of range'}` };
    case 'minLength':
    case 'maxLength':
    case 'maxItems':
    case 'minItems':
      return { code: 'invalid_length', field: path, message: `${path} ${e.message ?? 'has an invalid length'}` };
    default:
      return { code: 'invalid_value', field: path, message: `${path || what} ${e.message ?? 'is invalid'}` };
  }
}
