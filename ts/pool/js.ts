import type { SlabSource } from './twin';

/** TS twin: a V8 ArrayBuffer (its backing store lives outside the JS heap but counts toward GC pressure). */
export const jsSlab: SlabSource = { allocate: (bytes) => new ArrayBuffer(bytes) };
