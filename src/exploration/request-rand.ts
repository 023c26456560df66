/**
 * A request's exploration randomness, seeded from its id: replaying a logged request (same id, salt, slate, pool and
 * options, including `propensityDraws`) reproduces its served slate and propensities exactly.
 */
import { fnv1a, mixSeed, mulberry32, type Rand } from '../util/prng.js';

/**
 * Uniform [0, 1) generator for one request: mulberry32 seeded with fnv1a(requestId) mixed with `salt` (a per-stage
 * or per-deployment constant, so different consumers of the same request id draw independent streams).
 */
export function requestRand(requestId: string, salt: number): Rand {
  return mulberry32(mixSeed(fnv1a(requestId), salt));
}
