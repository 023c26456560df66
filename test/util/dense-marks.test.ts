import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DenseMarks, MAX_DENSE_KEY } from '../../src/util/dense-marks.js';

void describe('DenseMarks', () => {
  void it('keeps a value per key for one round, grows past its length, refuses keys out of range', () => {
    const m = new DenseMarks().begin();
    assert.equal(m.get(3), -1);
    assert.ok(m.set(3, 7));
    assert.ok(m.set(5000, 0), 'grows');
    assert.equal(m.get(3), 7);
    assert.equal(m.get(5000), 0);
    assert.equal(m.get(4999), -1);
    assert.equal(m.set(MAX_DENSE_KEY, 1), false);
    assert.equal(m.set(-1, 1), false);
    assert.equal(m.get(MAX_DENSE_KEY), -1);
    m.begin();
    assert.equal(m.get(3), -1, 'a new round forgets every mark');
    assert.equal(m.get(5000), -1);
    m.set(3, 1);
    assert.equal(m.get(3), 1);
  });
});
