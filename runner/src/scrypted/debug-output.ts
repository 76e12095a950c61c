// engine.io-client writes through the `debug` module when DEBUG names its namespaces (e.g. DEBUG=*): the socket's
// options, with the `Authorization: Bearer …` header, and every frame. That output bypasses the logger, so this
// sends it through the same scrubber: every registered secret (the password, the Basic credentials, each token
// from /login) is replaced by [REDACTED] before it reaches stderr. The `debug` instance is the one engine.io-client
// itself resolves, so its every namespace (and any other library's sharing it) is covered.
import { createRequire } from 'node:module';
import { formatWithOptions, type InspectOptions } from 'node:util';
import { scrubSecrets } from '../log.js';

interface DebugModule {
  log: (...args: unknown[]) => void;
  inspectOpts?: InspectOptions;
}

let installed = false;

export function scrubDebugOutput(): void {
  if (installed) return;
  installed = true;
  const engineIo = createRequire(import.meta.url).resolve('engine.io-client');
  const debug = createRequire(engineIo)('debug') as DebugModule;
  debug.log = (...args: unknown[]) => {
    process.stderr.write(`${scrubSecrets(formatWithOptions(debug.inspectOpts ?? {}, ...args))}\n`);
  };
}
