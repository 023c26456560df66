import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openSegmentLog } from '../../src/backends/embedded/segment-log.js';
import { BackendUnavailableError, NotFoundError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixtures.js';

void describe('segment log, read-only open', () => {
  void it('reads what a writer made durable, never cuts or writes, and rejects appends', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await assert.rejects(openSegmentLog({ dir: join(dir, 'none'), partitionCount: 2, readOnly: true }), NotFoundError);
      const writer = await openSegmentLog({ dir, partitionCount: 2 });
      await writer.append(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: new Uint8Array([i]) })));
      // a torn tail as a concurrent writer might leave it mid-write
      const p0 = join(dir, 'p-000');
      const seg = join(p0, (await readdir(p0))[0]);
      await appendFile(seg, Buffer.from([9, 0, 0, 0, 1, 2]));
      const before = (await stat(seg)).size;
      const reader = await openSegmentLog({ dir, partitionCount: 2, readOnly: true });
      const ends = await reader.endOffsets();
      assert.equal(ends[0] + ends[1], 10);
      const all = [...(await reader.read(0, 0, 100)), ...(await reader.read(1, 0, 100))];
      assert.deepEqual(all.map((r) => r.value[0]).sort((a, b) => a - b), [...Array(10).keys()]);
      await assert.rejects(reader.append([{ key: 'x', value: new Uint8Array() }]), BackendUnavailableError);
      await assert.rejects(reader.commit('g', [0, 0]), BackendUnavailableError);
      await reader.close();
      assert.equal((await stat(seg)).size, before, 'the reader cut nothing');
      await writer.close();
    } finally {
      await cleanup();
    }
  });
});
