// Value codecs (ts/kafka/codec.ts) without a broker: options refused at the door, round trips,
// failures that name the codec and the field, and the producer's message conversion.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodecError, PeerMissingError } from '../../ts/errors';
import { resolveCodec, type SerializerOptions } from '../../ts/kafka/codec';
import { toPayload } from '../../ts/kafka/message';
import { createConsumer, createProducer } from '../../ts/kafka';
import { userField } from '../support/avro';

const event = { id: 'e-1', at: 1_764_672_000_000, amount: 12.5, ok: true, tags: ['a', 'b'], user: { id: 7, name: 'Ada' }, note: null };
const schema = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'at', type: 'long' },
    { name: 'amount', type: 'double' },
    { name: 'ok', type: 'boolean' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    userField,
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

describe('options.serializer and options.schema, refused at the door', () => {
  it.each<[SerializerOptions, ErrorConstructor, RegExp]>([
    [{ serializer: 'yaml' as never }, RangeError, /options.serializer must be one of json, msgpack, avro or \{ serialize, deserialize \}, got "yaml"/],
    [{ serializer: 42 as never }, TypeError, /options.serializer must be one of .*, got 42 \(number\)/],
    [{ serializer: { serialize: (v: unknown) => String(v) } as never }, TypeError, /options.serializer.deserialize must be a function, got undefined/],
    [{ serializer: { serialize: 1, deserialize: () => 1 } as never }, TypeError, /options.serializer.serialize must be a function/],
    [{ serializer: 'avro' }, TypeError, /options.schema must be an Avro schema when options.serializer is 'avro', got undefined/],
    [
      { serializer: 'avro', schema: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] } },
      TypeError,
      /options.schema must be an Avro schema avsc accepts \(.*nope/,
    ],
    [{ serializer: 'json', schema }, RangeError, /options.schema must be given only with serializer: 'avro'/],
    [{ schema }, RangeError, /options.schema must be given only with serializer: 'avro'/],
  ])('%j', (options, kind, message) => {
    expect(() => resolveCodec(options)).toThrow(kind);
    expect(() => resolveCodec(options)).toThrow(message);
  });

  it('at createProducer and createConsumer, before connecting', async () => {
    const config = { 'bootstrap.servers': '127.0.0.1:1' };
    await expect(createProducer(config, { serializer: 'yaml' as never })).rejects.toThrow(/options.serializer must be one of/);
    await expect(createConsumer({ ...config, 'group.id': 'g' }, { topics: ['t'], serializer: 'avro' })).rejects.toThrow(
      /options.schema must be an Avro schema/,
    );
  });
});

describe.each([
  ['json', {}],
  ['msgpack', {}],
  ['avro', { schema }],
] as const)('%s', (name, extra) => {
  const codec = resolveCodec({ serializer: name, ...extra })!;
  it('round-trips a nested event', () => {
    expect(codec.name).toBe(name);
    const bytes = codec.serialize(event);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(codec.deserialize(bytes)).toEqual(event);
  });
  it('refuses bytes it cannot decode with a non-retriable CodecError', () => {
    const garbage = Buffer.from([0xc1, 0xff, 0x00, 0x7b]);
    let caught: unknown;
    try {
      codec.deserialize(garbage);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect(caught).toMatchObject({ code: 'ERR_DESERIALIZE', retriable: false, codec: name, category: 'InvalidRequest' });
    expect((caught as Error).message).toContain(`the ${name} codec could not decode a record's value`);
  });
});

describe('a value the codec cannot encode: CodecError naming the codec and the field', () => {
  it('json: a BigInt deep inside', () => {
    const e = catching(() => toPayload({ topic: 't', value: { user: { id: 10n } } }, 'message', true, resolveCodec({ serializer: 'json' })));
    expect(e).toBeInstanceOf(CodecError);
    expect(e).toMatchObject({ code: 'ERR_SERIALIZE', retriable: false, codec: 'json', field: 'message.value.user.id' });
    expect(e.message).toMatch(/the json codec could not encode the value at message.value.user.id: .*BigInt/);
  });
  it('json: a value JSON has no text for', () => {
    const e = catching(() => toPayload({ topic: 't', value: () => 1 }, 'messages[3]', true, resolveCodec({ serializer: 'json' })));
    expect(e).toMatchObject({ code: 'ERR_SERIALIZE', field: 'messages[3].value' });
    expect(e.message).toContain('JSON has no encoding for function');
  });
  it('avro: the field avsc names, with what it got', () => {
    const bad = { ...event, user: { id: 'seven', name: 'Ada' } };
    const e = catching(() => toPayload({ topic: 't', value: bad }, 'message', true, resolveCodec({ serializer: 'avro', schema })));
    expect(e).toMatchObject({ code: 'ERR_SERIALIZE', codec: 'avro' });
    expect(e.message).toMatch(/at message.value.user.id: "seven" is not a valid "int"/);
  });
  it('custom: what its serialize throws, and a return value that is not bytes', () => {
    const failing = resolveCodec({
      serializer: {
        name: 'proto',
        serialize: () => {
          throw new Error('missing required field id');
        },
        deserialize: (b) => b,
      },
    });
    expect(catching(() => failing!.serialize({}))).toMatchObject({ codec: 'proto', message: expect.stringContaining('missing required field id') });
    const wrong = resolveCodec({ serializer: { serialize: () => 42 as never, deserialize: (b) => b } });
    expect(catching(() => wrong!.serialize({}))).toMatchObject({
      codec: 'custom',
      message: expect.stringContaining('must return a Buffer, a Uint8Array or a string, got 42'),
    });
  });
  it('a null value stays a tombstone, undefined stays a TypeError', () => {
    const json = resolveCodec({ serializer: 'json' });
    expect(toPayload({ topic: 't', value: null }, 'message', true, json).value).toBeNull();
    expect(() => toPayload({ topic: 't', value: undefined }, 'message', true, json)).toThrow(TypeError);
  });
});

describe('msgpack is plain MessagePack (readable by other languages)', () => {
  it('{ a: 1, b: [true] } is the spec bytes, no msgpackr record extension', () => {
    const bytes = resolveCodec({ serializer: 'msgpack' })!.serialize({ a: 1, b: [true] });
    expect([...bytes]).toEqual([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x91, 0xc3]);
  });
});

describe('an optional peer that is not installed', () => {
  it('PeerMissingError names the package (msgpackr hidden from require in a child process: a fault injected, it is installed here)', () => {
    const script = `
      const Module = require('node:module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (request === 'msgpackr') throw Object.assign(new Error("Cannot find module 'msgpackr'"), { code: 'MODULE_NOT_FOUND' });
        return load.call(this, request, ...rest);
      };
      const { resolveCodec } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'kafka', 'codec.js'))});
      try { resolveCodec({ serializer: 'msgpack' }); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, pkg: e.packageName })); }
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string; pkg: string };
    expect(out).toMatchObject({ name: 'PeerMissingError', code: 'ERR_PEER_MISSING', pkg: 'msgpackr' });
    expect(out.message).toBe("velo-retry: serializer: 'msgpack' needs the package msgpackr: npm install msgpackr");
    expect(new PeerMissingError('avsc', "serializer: 'avro'").retriable).toBe(false);
  });
});

function catching(f: () => unknown): Error & Record<string, unknown> {
  try {
    f();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}
