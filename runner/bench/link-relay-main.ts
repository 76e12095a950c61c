// The shaped link as a process of its own (so its work is not charged to the GCS test server's process):
//   node --import tsx link-relay-main.ts <link> <host:port>...
// (with LINK_TRACE_FILE set, each stretch in which the uplink sent without a pause is appended to that file as a
// JSON line {"from":ms,"to":ms}, times since the epoch, once it has ended: link-trace.ts reads them)
// (a target written host:port+ has its own address rewritten to the relay's in answers: see RelayTarget)
// prints one JSON line {"ports":[...]} (a loopback port per target, in order), runs until stdin closes or SIGTERM.
import { appendFileSync } from 'node:fs';
import { parseLink, startRelay, type BusySpan } from './link-relay.js';

const [linkText, ...targetTexts] = process.argv.slice(2);
const link = parseLink(linkText ?? '');
const targets = targetTexts.map((text) => {
  const rewriteOwnAddress = text.endsWith('+');
  const address = rewriteOwnAddress ? text.slice(0, -1) : text;
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)), rewriteOwnAddress };
});
const traceFile = process.env.LINK_TRACE_FILE;
const onSpan = traceFile ? (span: BusySpan) => appendFileSync(traceFile, `${JSON.stringify(span)}\n`) : undefined;
const relay = await startRelay(link, targets, onSpan);
process.stdout.write(`${JSON.stringify({ ports: relay.ports })}\n`);
const stop = () => void relay.close().then(() => process.exit(0));
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
