/**
 * Train / valid / test split of examples strictly by time, never at random: every train ts < validFromMs ≤ every
 * valid ts < testFromMs ≤ every test ts. Examples sharing a timestamp always land in the same part (ties go to the
 * later part), so an exposure and its sampled negatives are never split apart.
 *
 * - `{ validFraction, testFraction }`: the cut times are ts quantiles. With the ts sorted, the test part starts at
 *   the value at index n − round(n·testFraction), the valid part round(n·validFraction) values earlier; ties move
 *   the boundary later, so parts can come out a little smaller than asked. A part asked to be empty starts at
 *   +Infinity (valid: at testFromMs).
 * - `{ validFromMs, testFromMs }`: explicit cut times (validFromMs ≤ testFromMs).
 *
 * Index arrays are ascending. Bad options throw `ValidationError` naming the field.
 */
import { ValidationError } from '../../errors.js';
import type { TimeSplit } from './examples.js';

export type TimeSplitOptions = { validFraction: number; testFraction: number } | { validFromMs: number; testFromMs: number };

export function timeSplit(ts: Float64Array, opts: TimeSplitOptions): TimeSplit {
  for (let i = 0; i < ts.length; i++) {
    if (Number.isNaN(ts[i])) throw new ValidationError(`ts[${i}] is NaN: every example needs a time`, 'ts');
  }
  const { validFromMs, testFromMs } = cutTimes(ts, opts);
  let nTrain = 0;
  let nValid = 0;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] < validFromMs) nTrain++;
    else if (ts[i] < testFromMs) nValid++;
  }
  const train = new Int32Array(nTrain);
  const valid = new Int32Array(nValid);
  const test = new Int32Array(ts.length - nTrain - nValid);
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] < validFromMs) train[a++] = i;
    else if (ts[i] < testFromMs) valid[b++] = i;
    else test[c++] = i;
  }
  return { train, valid, test, validFromMs, testFromMs };
}

function cutTimes(ts: Float64Array, opts: TimeSplitOptions): { validFromMs: number; testFromMs: number } {
  if (typeof opts !== 'object' || opts === null) throw new ValidationError('time split options must be an object', 'opts');
  const o = opts as Partial<Record<'validFraction' | 'testFraction' | 'validFromMs' | 'testFromMs', unknown>>;
  const byFraction = o.validFraction !== undefined || o.testFraction !== undefined;
  const byTime = o.validFromMs !== undefined || o.testFromMs !== undefined;
  if (byFraction && byTime) {
    throw new ValidationError('give either validFraction/testFraction or validFromMs/testFromMs, not both', byTime && o.validFromMs !== undefined ? 'validFromMs' : 'testFromMs');
  }
  if (byTime) {
    const validFromMs = timeField(o.validFromMs, 'validFromMs');
    const testFromMs = timeField(o.testFromMs, 'testFromMs');
    if (!(validFromMs <= testFromMs)) throw new ValidationError(`testFromMs (${testFromMs}) must not be before validFromMs (${validFromMs})`, 'testFromMs');
    return { validFromMs, testFromMs };
  }
  const validFraction = fractionField(o.validFraction, 'validFraction');
  const testFraction = fractionField(o.testFraction, 'testFraction');
  if (!(validFraction + testFraction < 1)) {
    throw new ValidationError(`validFraction + testFraction must be < 1 (train needs a part), got ${validFraction + testFraction}`, 'validFraction');
  }
  const n = ts.length;
  const sorted = Float64Array.from(ts).sort();
  const testStart = n - Math.round(n * testFraction);
  const validStart = testStart - Math.round(n * validFraction);
  const testFromMs = testStart < n ? sorted[testStart] : Infinity;
  const validFromMs = validStart < testStart ? sorted[validStart] : testFromMs;
  return { validFromMs, testFromMs };
}

function fractionField(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
    throw new ValidationError(`${field} must be a number in [0, 1), got ${String(v)}`, field);
  }
  return v;
}

function timeField(v: unknown, field: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ValidationError(`${field} must be a time in ms, got ${String(v)}`, field);
  return v;
}
