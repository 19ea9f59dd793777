// Value codecs: `serializer: 'json' | 'msgpack' | 'avro' | { serialize, deserialize }` on the
// producer (what `value` may then be) and the consumer (what a handler reads as `data`). msgpackr
// and avsc are optional peers, loaded only when chosen. A value a codec cannot encode rejects that
// send only; bytes it cannot decode are a non-retriable CodecError (the consumer sends the record
// straight to its dead-letter topic when it has one). A null value is a tombstone: never encoded
// or decoded.
import { CodecError, PeerMissingError } from '../errors';
import { checkFunction, describe, rangeError, typeError } from '../validate';

export interface Codec {
  /** 'json', 'msgpack', 'avro', or a custom codec's `name` (default 'custom'). */
  readonly name: string;
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

export interface CustomSerializer {
  serialize(value: unknown): Buffer | Uint8Array | string;
  deserialize(bytes: Buffer): unknown;
  name?: string;
}

export type Serializer = 'json' | 'msgpack' | 'avro' | CustomSerializer;

export interface SerializerOptions {
  /** How values are encoded (producer) and decoded (consumer); default none: Buffers and strings as they are. */
  serializer?: Serializer;
  /** The Avro schema (anything avsc's Type.forSchema takes) when `serializer` is 'avro'. */
  schema?: unknown;
}

const NAMES = ['json', 'msgpack', 'avro'];

/** The codec the options ask for, or undefined for none; every mistake a TypeError/RangeError naming the option. */
export function resolveCodec(options: SerializerOptions): Codec | undefined {
  const s = options.serializer;
  if (s === undefined) {
    if (options.schema !== undefined) throw rangeError('options.schema', "given only with serializer: 'avro'", options.schema);
    return undefined;
  }
  if (typeof s === 'string') {
    if (!NAMES.includes(s)) throw rangeError('options.serializer', `one of ${NAMES.join(', ')} or { serialize, deserialize }`, s);
    if (s !== 'avro' && options.schema !== undefined) throw rangeError('options.schema', "given only with serializer: 'avro'", options.schema);
    return s === 'json' ? JSON_CODEC : s === 'msgpack' ? msgpack() : avro(options.schema);
  }
  if (typeof s !== 'object' || s === null) throw typeError('options.serializer', `one of ${NAMES.join(', ')} or { serialize, deserialize }`, s);
  checkFunction('options.serializer.serialize', s.serialize);
  checkFunction('options.serializer.deserialize', s.deserialize);
  if (s.name !== undefined && (typeof s.name !== 'string' || s.name === '')) throw typeError('options.serializer.name', 'a non-empty string', s.name);
  if (options.schema !== undefined) throw rangeError('options.schema', "given only with serializer: 'avro'", options.schema);
  return custom(s);
}

/** Where in `value` the first thing `bad` picks sits, as a path ('user.tags[2]'); undefined if none (or a cycle first). */
function locate(value: unknown, bad: (v: unknown) => boolean): string | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string): string | undefined => {
    if (bad(v)) return path || '(the value)';
    if (typeof v !== 'object' || v === null) return undefined;
    if (seen.has(v)) return `${path || '(the value)'} (a cycle)`;
    seen.add(v);
    const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x] as const) : Object.entries(v).map(([k, x]) => [path ? `.${k}` : k, x] as const);
    for (const [step, x] of entries) {
      const found = walk(x, path + step);
      if (found !== undefined) return found;
    }
    seen.delete(v);
    return undefined;
  };
  return walk(value, '');
}

/** A codec's decoder whose every failure is a CodecError naming the codec (the consumer dead-letters it). */
function decoding(codec: string, decode: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (e) {
      throw new CodecError(codec, 'decode', (e as Error)?.message ?? String(e), undefined, e);
    }
  };
}

const JSON_CODEC: Codec = {
  name: 'json',
  serialize(value) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new CodecError(
        'json',
        'encode',
        (e as Error).message,
        locate(value, (v) => typeof v === 'bigint'),
        e,
      );
    }
    if (text === undefined) throw new CodecError('json', 'encode', `JSON has no encoding for ${describe(value)}`, undefined);
    return Buffer.from(text);
  },
  deserialize: decoding('json', (bytes) => JSON.parse(bytes.toString('utf8')) as unknown),
};

/** An optional peer, or a PeerMissingError naming it and why it was wanted. */
function peer<T>(name: string, why: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    throw new PeerMissingError(name, why, e);
  }
}

interface Msgpackr {
  Packr: new (options: { useRecords: boolean; mapsAsObjects: boolean; variableMapSize: boolean }) => { pack(v: unknown): Buffer; unpack(b: Buffer): unknown };
}

function msgpack(): Codec {
  // Plain MessagePack (no msgpackr record extension; the smallest map header), so consumers in
  // other languages can read it.
  const packr = new (peer<Msgpackr>('msgpackr', "serializer: 'msgpack'").Packr)({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  return {
    name: 'msgpack',
    serialize(value) {
      try {
        return packr.pack(value);
      } catch (e) {
        throw new CodecError(
          'msgpack',
          'encode',
          (e as Error).message,
          locate(value, (v) => typeof v === 'bigint' || typeof v === 'symbol'),
          e,
        );
      }
    },
    deserialize: decoding('msgpack', (bytes) => packr.unpack(bytes)),
  };
}

interface AvroType {
  toBuffer(v: unknown): Buffer;
  fromBuffer(b: Buffer): unknown;
  isValid(v: unknown, opts: { errorHook(path: string[], any: unknown, type: { toString(): string }): void }): boolean;
}
interface Avsc {
  Type: { forSchema(schema: unknown): AvroType };
}

function avro(schema: unknown): Codec {
  if (schema === undefined) throw typeError('options.schema', "an Avro schema when options.serializer is 'avro'", schema);
  const avsc = peer<Avsc>('avsc', "serializer: 'avro'");
  let type: AvroType;
  try {
    type = avsc.Type.forSchema(schema);
  } catch (e) {
    const err = typeError('options.schema', `an Avro schema avsc accepts (${(e as Error).message})`, schema);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
  return {
    name: 'avro',
    serialize(value) {
      try {
        return type.toBuffer(value);
      } catch (e) {
        let field: string | undefined;
        type.isValid(value, {
          errorHook(path, any, t) {
            field ??= `${path.join('.') || '(the value)'}: ${describe(any)} is not a valid ${String(t)}`;
          },
        });
        throw new CodecError('avro', 'encode', (e as Error).message, field, e);
      }
    },
    deserialize: decoding('avro', (bytes) => type.fromBuffer(bytes)),
  };
}

function custom(s: CustomSerializer): Codec {
  const name = s.name ?? 'custom';
  return {
    name,
    serialize(value) {
      let out: unknown;
      try {
        out = s.serialize(value);
      } catch (e) {
        throw new CodecError(name, 'encode', (e as Error)?.message ?? String(e), undefined, e);
      }
      if (Buffer.isBuffer(out)) return out;
      if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      if (typeof out === 'string') return Buffer.from(out);
      throw new CodecError(name, 'encode', `serialize() must return a Buffer, a Uint8Array or a string, got ${describe(out)}`, undefined);
    },
    deserialize: decoding(name, (bytes) => s.deserialize(bytes)),
  };
}
