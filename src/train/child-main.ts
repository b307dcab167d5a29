// A training child process: `mmgen train` logic for one order (a server job, or a group of autoencoders
// trained apart), its typed events sent to the process that forked it.
// A stop message (or SIGINT) interrupts training, which writes a checkpoint first.
import { resolveConfig } from './recipes.js';
import type { FromTrainer, ToTrainer } from './child-protocol.js';

const stop = new AbortController();

function send(message: FromTrainer): void {
  // a parent that died (e.g. a `mmgen worker` killed with SIGKILL) is not an error here: stop with a checkpoint
  if (process.connected)
    process.send?.(message, undefined, undefined, (error) => {
      if (error) stop.abort();
    });
  else stop.abort();
}

process.on('SIGINT', () => stop.abort());
process.on('SIGTERM', () => stop.abort());
process.on('disconnect', () => stop.abort());
process.on('message', (message: ToTrainer) => {
  if (message.type === 'stop') {
    stop.abort();
    return;
  }
  const { order } = message;
  (async () => {
    const { train } = resolveConfig(order.config, `${order.runDir}/config.json`);
    let interrupted = false;
    await train({
      runDir: order.runDir,
      resume: order.resume,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'interrupted') interrupted = true;
        send({ type: 'event', event });
      },
      onData: (event) => {
        if (event.type === 'progress')
          send({ type: 'data', message: event.message ?? '', done: event.done, total: event.total });
      },
    });
    send({ type: 'finished', interrupted });
  })().then(
    () => {
      if (process.connected) process.disconnect?.();
    },
    (error: unknown) => {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      if (process.connected) process.disconnect?.();
    },
  );
});
