/**
 * Loader for the Open Bandit Dataset, small version (`open-bandit-dataset-small/`): ZOZOTOWN impressions logged by a
 * uniform-random policy and by Bernoulli Thompson sampling (BTS), per campaign.
 *
 * Files: `{random,bts}/{men,women}/{men,women}.csv`, header
 * `,timestamp,item_id,position,click,propensity_score,user_feature_0..3,user-item_affinity_0..N` (first column is a
 * row index with an empty name), and `{random,bts}/{campaign}/item_context.csv` (`,item_id,item_feature_0..3`, one
 * row per item). The files hold no quotes and no embedded commas (the user features are hex hashes), so a plain
 * split on `,` is exact; the parser checks the field count of every line and throws if that ever stops holding.
 * Only the columns OPE needs are kept, as typed arrays; the hashed user features and affinities are not used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../errors.js';

export const OPEN_BANDIT_DIR = 'open-bandit-dataset-small';
export const OPEN_BANDIT_CAMPAIGNS = ['men', 'women'] as const;
export type OpenBanditCampaign = (typeof OPEN_BANDIT_CAMPAIGNS)[number];
export type OpenBanditPolicy = 'random' | 'bts';
/** Slots of the ZOZOTOWN widget: 1 left, 2 centre, 3 right. */
export const OPEN_BANDIT_POSITIONS = 3;

/** One log (policy × campaign) as columns. Positions are 0-based here (file position − 1). */
export interface BanditLog {
  source: string;
  n: number;
  /** Items are 0..numItems−1 (numItems from item_context.csv when loaded from the dataset, else max id + 1). */
  numItems: number;
  timestampMs: Float64Array;
  item: Int32Array;
  position: Int32Array;
  click: Float64Array;
  /** The logging policy's probability of this item at this position, as logged. */
  propensity: Float64Array;
}

const REQUIRED = ['timestamp', 'item_id', 'position', 'click', 'propensity_score'] as const;

function bad(source: string, line: number, msg: string): ValidationError {
  return new ValidationError(`${source}:${line}: ${msg}`, 'datasets');
}

/** `2019-11-24 00:03:13.442536+00:00` → epoch ms (sub-millisecond digits dropped). */
function parseTimestamp(s: string): number {
  return Date.parse(s.length > 10 && s[10] === ' ' ? `${s.slice(0, 10)}T${s.slice(11)}` : s);
}

/**
 * Parses one log CSV's text (`source` names it in errors). Checks: the header has the required columns; every line
 * has the header's field count; item ids are non-negative integers (< `numItems` when given); positions are 1..3;
 * clicks are 0/1; propensities are in (0, 1]; timestamps parse. A violation throws ValidationError (field `datasets`)
 * naming `source:line`.
 */
export function parseBanditCsv(text: string, source: string, numItems?: number): BanditLog {
  const lines = text.split('\n');
  const header = lines[0].replace(/\r$/, '').split(',');
  const col: Record<string, number> = {};
  for (const name of REQUIRED) {
    col[name] = header.indexOf(name);
    if (col[name] < 0) throw bad(source, 1, `missing column ${name}`);
  }
  let n = 0;
  while (lines.length > 1 && lines[lines.length - 1].trim() === '') lines.pop();
  const rows = lines.length - 1;
  const log: BanditLog = {
    source,
    n: rows,
    numItems: numItems ?? 0,
    timestampMs: new Float64Array(rows),
    item: new Int32Array(rows),
    position: new Int32Array(rows),
    click: new Float64Array(rows),
    propensity: new Float64Array(rows),
  };
  let maxItem = -1;
  for (let l = 1; l < lines.length; l++) {
    const f = lines[l].replace(/\r$/, '').split(',');
    if (f.length !== header.length) throw bad(source, l + 1, `expected ${header.length} fields, got ${f.length}`);
    const t = parseTimestamp(f[col.timestamp]);
    if (!Number.isFinite(t)) throw bad(source, l + 1, `bad timestamp ${JSON.stringify(f[col.timestamp])}`);
    const item = Number(f[col.item_id]);
    if (!Number.isInteger(item) || item < 0 || (numItems !== undefined && item >= numItems)) throw bad(source, l + 1, `bad item_id ${JSON.stringify(f[col.item_id])}`);
    const pos = Number(f[col.position]);
    if (!Number.isInteger(pos) || pos < 1 || pos > OPEN_BANDIT_POSITIONS) throw bad(source, l + 1, `position must be 1..${OPEN_BANDIT_POSITIONS}, got ${JSON.stringify(f[col.position])}`);
    const click = f[col.click] === '1' ? 1 : f[col.click] === '0' ? 0 : NaN;
    if (Number.isNaN(click)) throw bad(source, l + 1, `click must be 0 or 1, got ${JSON.stringify(f[col.click])}`);
    const p = Number(f[col.propensity_score]);
    if (!(p > 0 && p <= 1)) throw bad(source, l + 1, `propensity_score must be in (0, 1], got ${JSON.stringify(f[col.propensity_score])}`);
    log.timestampMs[n] = t;
    log.item[n] = item;
    log.position[n] = pos - 1;
    log.click[n] = click;
    log.propensity[n] = p;
    if (item > maxItem) maxItem = item;
    n++;
  }
  if (n === 0) throw bad(source, 1, 'no rows');
  if (numItems === undefined) log.numItems = maxItem + 1;
  return log;
}

/** Number of items in an item_context.csv (its rows; ids must be 0..rows−1). */
export function parseItemContextCount(text: string, source: string): number {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const idCol = header.indexOf('item_id');
  if (idCol < 0) throw bad(source, 1, 'missing column item_id');
  for (let l = 1; l < lines.length; l++) {
    const id = Number(lines[l].split(',')[idCol]);
    if (id !== l - 1) throw bad(source, l + 1, `expected item_id ${l - 1}, got ${JSON.stringify(lines[l].split(',')[idCol])}`);
  }
  return lines.length - 1;
}

function readText(path: string): string {
  if (!existsSync(path)) throw new ValidationError(`open bandit file not found: ${path}`, 'datasets', 'not_found');
  return readFileSync(path, 'utf8');
}

/**
 * Loads `<root>/<policy>/<campaign>/<campaign>.csv`, with the item count from the same folder's item_context.csv.
 * `root` is the `open-bandit-dataset-small` folder. Missing files throw ValidationError (code `not_found`).
 */
export function loadOpenBanditLog(root: string, policy: OpenBanditPolicy, campaign: OpenBanditCampaign): BanditLog {
  const dir = join(root, policy, campaign);
  const ctxPath = join(dir, 'item_context.csv');
  const numItems = parseItemContextCount(readText(ctxPath), ctxPath);
  const path = join(dir, `${campaign}.csv`);
  return parseBanditCsv(readText(path), path, numItems);
}

/** Click-through rate of a log (mean click). */
export function meanClick(log: BanditLog): number {
  let s = 0;
  for (let i = 0; i < log.n; i++) s += log.click[i];
  return s / log.n;
}
