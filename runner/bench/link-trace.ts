// Where a contender's wall time went on the shaped link, from the relay's trace of the uplink's busy spans
// (link-relay-main.ts with LINK_TRACE_FILE): the time before its first byte went on the link, the time the link
// sent, the pauses between, and the time after its last byte left the link until the contender was done.
// The wire time is fixed by the bytes; the other three are what a contender can win or lose.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { BusySpan } from './link-relay.js';

/** A contender's window on the link, in ms. */
export interface LinkUse {
  /** From the window's start to the first byte on the link. */
  beforeFirstByte: number;
  /** The link sending (the window's busy spans, cut to the window). */
  sending: number;
  /** Pauses of the link between the first byte and the last. */
  pauses: number;
  /** From the last byte leaving the link to the window's end (the last answer's way back, and what follows it). */
  afterLastByte: number;
  /** The longest pauses (at most 8): when each began (ms into the window) and how long it was. */
  longestPauses: Array<{ at: number; ms: number }>;
}

export function readSpans(file: string): BusySpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as BusySpan);
}

export function clearSpans(file: string): void {
  rmSync(file, { force: true });
}

/** The link's use within [from, to] (ms since the epoch); undefined when no byte went on the link in it. */
export function linkUse(spans: BusySpan[], from: number, to: number): LinkUse | undefined {
  const inside = spans
    .map((span) => ({ from: Math.max(span.from, from), to: Math.min(span.to, to) }))
    .filter((span) => span.to > span.from)
    .sort((a, b) => a.from - b.from);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last) return undefined;
  const sending = inside.reduce((sum, span) => sum + (span.to - span.from), 0);
  const longestPauses = inside
    .slice(1)
    .map((span, i) => ({ at: (inside[i] as BusySpan).to - from, ms: span.from - (inside[i] as BusySpan).to }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8);
  return { beforeFirstByte: first.from - from, sending, pauses: last.to - first.from - sending, afterLastByte: to - last.to, longestPauses };
}

export const describeLinkUse = (use: LinkUse): string =>
  `first byte after ${use.beforeFirstByte.toFixed(0)} ms, sending ${(use.sending / 1000).toFixed(3)} s, paused ${use.pauses.toFixed(0)} ms, done ${use.afterLastByte.toFixed(0)} ms after the last byte; longest pauses ${use.longestPauses.map((p) => `${p.ms.toFixed(1)} ms at ${(p.at / 1000).toFixed(3)} s`).join(', ')}`;
