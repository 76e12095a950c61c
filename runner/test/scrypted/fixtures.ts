// Cameras and clips the Scrypted tests share.
import type { TestCamera } from '../scrypted-server/server.js';

export const NOW = Date.now();
const minutes = (n: number) => n * 60_000;

export function testCameras(): TestCamera[] {
  return [
    {
      id: '11', name: 'Front Door', clips: [
        { id: 'fd-1', startTime: NOW - minutes(50), duration: 20_000, generate: { sizeBytes: 150_000, seed: 1 } },
        { id: 'fd-2', startTime: NOW - minutes(40), duration: 30_000, bytePath: 'local-uri', generate: { sizeBytes: 300_000, seed: 2 } },
        { id: 'fd-3', startTime: NOW - minutes(10), duration: 10_000, bytePath: 'ffmpeg-only' },
      ],
    },
    {
      id: '12', name: 'Garage', clips: [
        { id: 'g-1', startTime: NOW - minutes(30), duration: 15_000, generate: { sizeBytes: 1_000_000, seed: 3 } },
      ],
    },
    { id: '13', name: 'Backyard', clips: [] },
  ];
}
