import { native } from '../native/load';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;
import type { SlabSource } from './twin';

/** Rust twin: memory allocated by Rust and exposed once as an external ArrayBuffer; V8 neither scans nor accounts it. */
export const nativeSlab: SlabSource | null = binding && { allocate: (bytes) => binding.allocateSlab(bytes) };
