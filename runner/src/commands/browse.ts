// `browse`: a page on 127.0.0.1 to look through the bucket's clips by day and play them (your read access).
import { startBrowseServer } from '../restore/browse-server.js';
import { EXIT_BAD_INPUT, readerOrProblems, type Stderr } from '../restore/selection-options.js';

export interface BrowseFlags {
  port: string;
}

export async function browseCommand(env: NodeJS.ProcessEnv, flags: BrowseFlags, signal: AbortSignal, stdout: Stderr = process.stdout, stderr: Stderr = process.stderr): Promise<number> {
  const reading = readerOrProblems(env, stderr);
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535) {
    stderr.write(`--port must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(flags.port)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (!reading) return EXIT_BAD_INPUT;
  const server = await startBrowseServer({ reader: reading.reader, objectPrefix: reading.config.objectPrefix, port });
  stdout.write(`browsing gs://${reading.config.bucket}: open ${server.url} (this machine only; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}
