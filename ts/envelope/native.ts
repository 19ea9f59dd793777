// Rust twin of the envelope layout and encoder (crates/core/src/envelope.rs): one N-API call per
// envelope. Errors come back with their stable code first ("ERR_ENVELOPE_TRUNCATED: ...").
import { EnvelopeError } from '../errors';
import { native } from '../native/load';
import type { EnvelopeColumns, Layout } from './format';

/** Narrowed once; a closure does not narrow an imported binding. */
const binding = native;

function rethrow(e: unknown): never {
  const message = (e as Error).message ?? '';
  const colon = message.indexOf(': ');
  if (message.startsWith('ERR_ENVELOPE_') && colon > 0) throw new EnvelopeError(message.slice(0, colon), message.slice(colon + 2));
  throw e;
}

export const nativeEnvelope =
  binding &&
  ({
    layout(b: Buffer): Layout {
      try {
        return binding.envelopeLayout(b);
      } catch (e) {
        return rethrow(e);
      }
    },
    encodeInto(target: Buffer, idHigh: number, idLow: number, timestamp: number, messages: EnvelopeColumns): number {
      const lengths: number[] = [];
      const parts: Buffer[] = [];
      const piece = (p: Buffer | string | null): void => {
        if (p === null) {
          lengths.push(-1);
          return;
        }
        const b = typeof p === 'string' ? Buffer.from(p) : p;
        lengths.push(b.length);
        parts.push(b);
      };
      for (let i = 0; i < messages.keys.length; i++) {
        piece(messages.keys[i]!);
        piece(messages.values[i]!);
        const entries = (messages.headers[i] ?? []).flatMap((h) => Object.entries(h));
        lengths.push(entries.length);
        for (const [name, v] of entries) {
          piece(name);
          piece(v);
        }
      }
      try {
        return binding.encodeEnvelope(target, idHigh >>> 0, idLow >>> 0, timestamp, Int32Array.from(lengths), parts);
      } catch (e) {
        return rethrow(e);
      }
    },
  } as const);
