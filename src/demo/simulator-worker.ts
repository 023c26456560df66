/**
 * Worker-thread entry of the simulated population, so the simulated users do not share the server's event loop.
 * Reads the world through shared memory, runs `runSimulation`, posts `tick` messages and a final `done`; stops on
 * a `stop` message (the parent terminates the thread after `done`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSimulation, type SimulationOptions, type SimulationStats } from './simulator.js';
import { World, type WorldHandle } from './world.js';

/** What `runDemo` hands the worker (structured-clonable; the world's buffers are shared, not copied). */
export interface SimulatorWorkerData {
  world: WorldHandle;
  options: Omit<SimulationOptions, 'world' | 'signal' | 'onTick'>;
}

/** Messages from the worker. */
export type SimulatorWorkerMessage =
  | { type: 'tick'; stats: SimulationStats }
  | { type: 'done'; stats: SimulationStats }
  | { type: 'error'; message: string };

/** Message to the worker. */
export interface SimulatorStopMessage {
  type: 'stop';
}

const port = parentPort;
if (port) {
  const data = workerData as SimulatorWorkerData;
  const stop = new AbortController();
  port.on('message', (m: SimulatorStopMessage) => {
    if (m?.type === 'stop') stop.abort();
  });
  const post = (m: SimulatorWorkerMessage) => port.postMessage(m);
  runSimulation({ ...data.options, world: World.fromHandle(data.world), signal: stop.signal, onTick: (stats) => post({ type: 'tick', stats }) })
    .then((stats) => post({ type: 'done', stats }))
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
}
