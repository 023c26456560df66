/** Shared CLI option handling: --config, --data and --port become config overrides. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type FeedloopConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';

export const COMMON_OPTIONS = {
  config: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = Record<string, string | boolean | undefined>;

/** Parses `argv` with the common options plus `options`; a bad flag is a ValidationError naming `argv`. */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Values } {
  try {
    const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: false, strict: true });
    return { values: values };
  } catch (e) {
    throw new ValidationError((e as Error).message, 'argv');
  }
}

/**
 * The integer option `--name` (`dflt` when absent), within [min, max]; anything else (a fraction, a word, out of
 * range) is a ValidationError naming the option.
 */
export function intOption(values: Values, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name];
  if (raw === undefined) return dflt;
  const v = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`) : `an integer in ${min}..${max}`;
    throw new ValidationError(`--${name} must be ${range}, got ${String(raw)}`, name);
  }
  return v;
}

export function configFrom(values: Values): FeedloopConfig {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k]) : undefined);
  const cfg = loadConfig({ path: str('config') });
  values = { data: str('data'), port: str('port') };
  if (typeof values.data === 'string') cfg.data.dir = values.data;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port must be 0..65535, got ${String(values.port)}`, 'port');
    cfg.server.port = port;
  }
  return cfg;
}
