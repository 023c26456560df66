/** `feedloop config`: prints the effective configuration (defaults ← file ← environment ← flags) as JSON. */
import { configFrom, parse } from './args.js';

export async function runConfig(argv: string[]): Promise<void> {
  const { values } = parse(argv, { port: { type: 'string', short: 'p' } });
  console.log(JSON.stringify(configFrom(values), null, 2));
}
