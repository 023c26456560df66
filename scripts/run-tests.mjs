// Runs every compiled test file under dist/test with node's test runner. Suites that need an external service
// (Redis, NATS, PostgreSQL) read its URL from the environment and skip themselves when it is unset; this script
// prints which ones will be skipped so a bare machine's run is honest about what it did not check.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);

const services = {
  FEEDLOOP_TEST_REDIS_URL: 'Redis adapters',
  FEEDLOOP_TEST_NATS_URL: 'NATS JetStream adapters',
  FEEDLOOP_TEST_POSTGRES_URL: 'PostgreSQL adapters',
};
for (const [env, what] of Object.entries(services)) {
  if (!process.env[env]) console.log(`# ${env} is not set: suites for ${what} (if any) are skipped`);
}
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
