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
  let server;
  try {
    server = await startBrowseServer({ reader: reading.reader, objectPrefix: reading.config.objectPrefix, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    stderr.write(code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use: choose another with --port, or --port 0 for any free one\n` : `browse could not listen on 127.0.0.1:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  stdout.write(`browsing gs://${reading.config.bucket}: open ${server.url} (this machine only; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}
