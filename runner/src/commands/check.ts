// `check`: preflight. Scrypted login and camera count, a write to the bucket, a read and write of the state
// document. One line per check, ok or failed with the reason; exit 0 only when all pass.
import type { RunnerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../log.js';
import { forTerminal } from '../terminal-text.js';
import { connectSource, createSink, createStateStore } from '../wiring.js';

interface CheckLine {
  name: string;
  ok: boolean;
  detail: string;
}

async function attempt(name: string, action: () => Promise<string>): Promise<CheckLine> {
  try {
    return { name, ok: true, detail: await action() };
  } catch (error) {
    return { name, ok: false, detail: scrubSecrets(error instanceof Error ? error.message : String(error)) };
  }
}

export async function checkCommand(config: RunnerConfig, logger: Logger): Promise<number> {
  const lines = await Promise.all([
    attempt('scrypted', async () => {
      const source = await connectSource(config, logger);
      try {
        const cameras = await source.listCameras();
        return `logged in to ${config.scrypted.baseUrl}; ${cameras.length} camera(s) with VideoClips after filters`;
      } finally {
        await source.close();
      }
    }),
    attempt('bucket', async () => {
      await (await createSink(config, logger)).probeWrite();
      return `gs://${config.gcs.bucket} accepted a write`;
    }),
    attempt('state', async () => {
      const state = await createStateStore(config);
      try {
        await state.probeReadWrite();
        return `${config.firestore.databaseId}/${config.firestore.documentPath} is readable and writable`;
      } finally {
        await state.close();
      }
    }),
  ]);
  // A detail may carry a server's error text: shown escaped, on one line.
  for (const line of lines) process.stdout.write(`${line.ok ? 'ok    ' : 'FAILED'}  ${line.name.padEnd(8)}  ${forTerminal(line.detail)}\n`);
  return lines.every((line) => line.ok) ? 0 : 1;
}
