// librdkafka configuration, checked at the door. librdkafka takes every value as text, so a value
// of the wrong JS type does not fail: `bootstrap.servers: 9092` becomes the host name "9092" and
// fails as a Network error after the whole connect timeout. Here each property's value is checked
// against its librdkafka type (config-schema.ts): a wrong type is a TypeError, a value out of the
// property's range or set a RangeError, both naming the property. Properties librdkafka does not
// list (set by plugins, or newer than this table) are left to librdkafka.
import { checkObject, rangeError, typeError } from '../validate';
import { CONFIG_SCHEMA, LIBRDKAFKA_VERSION, TOPIC_ONLY } from './config-schema';
import type { ClientConfig } from './driver';

/** node-rdkafka's own options and callbacks, which are not librdkafka properties. */
const CALLBACKS = new Set(['dr_cb', 'dr_msg_cb', 'event_cb', 'rebalance_cb', 'offset_commit_cb']);

const name = (key: string) => `config["${key}"]`;

/**
 * Integer properties that also take a name for a value (librdkafka's rdkafka_conf.c `.s2i`
 * tables on _RK_C_INT properties; in 2.12 only the acks).
 */
const INTEGER_NAMES: Readonly<Record<string, readonly string[]>> = { 'request.required.acks': ['all'], acks: ['all'] };

function checkProperty(key: string, value: unknown): void {
  if (CALLBACKS.has(key)) {
    if (typeof value !== 'boolean' && typeof value !== 'function') throw typeError(name(key), 'a boolean or a function', value);
    return;
  }
  const schema = CONFIG_SCHEMA[key];
  if (schema === undefined) return;
  const [type] = schema;
  switch (type) {
    case 'string':
    case 'flags':
      if (typeof value !== 'string') throw typeError(name(key), 'a string', value);
      return;
    case 'boolean':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
      throw typeError(name(key), 'a boolean (or "true" / "false")', value);
    case 'integer':
    case 'float': {
      if (typeof value === 'string' && INTEGER_NAMES[key]?.includes(value.trim().toLowerCase())) return;
      const text = typeof value === 'string' ? value.trim() : undefined;
      const n = typeof value === 'number' ? value : text !== undefined && text !== '' ? Number(text) : NaN;
      if (typeof value !== 'number' && typeof value !== 'string')
        throw typeError(name(key), `${type === 'integer' ? 'an integer' : 'a number'} (or its text)`, value);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n)))
        throw typeError(name(key), `${type === 'integer' ? 'an integer' : 'a number'} (or its text)`, value);
      const [, min, max] = schema as readonly ['integer' | 'float', number?, number?];
      if ((min !== undefined && n < min) || (max !== undefined && n > max))
        throw rangeError(name(key), `within ${min} .. ${max} (librdkafka ${LIBRDKAFKA_VERSION})`, value);
      return;
    }
    case 'enum': {
      const values = (schema as readonly ['enum', readonly string[]])[1];
      if (typeof value !== 'string') throw typeError(name(key), `one of ${values.join(', ')}`, value);
      if (!values.includes(value.toLowerCase()) && !values.includes(value)) throw rangeError(name(key), `one of ${values.join(', ')}`, value);
      return;
    }
  }
}

/** The client config, every librdkafka property's value checked against its type. */
export function checkConfig(config: unknown): ClientConfig {
  checkObject('config', config);
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (value !== undefined) checkProperty(key, value);
  }
  return config as ClientConfig;
}

/**
 * node-rdkafka's two configs from one: the global properties, and the topic-level ones that have no
 * global namesake (acks, message.timeout.ms, request.timeout.ms, partitioner, auto.offset.reset...).
 * node-rdkafka gives librdkafka a topic config of its own, empty unless one is passed, and it
 * replaces the topic defaults a global config sets: `message.timeout.ms: 3000` in the global config
 * alone leaves the 300 s default in force (measured: a message to an unreachable broker timed out
 * after 3.5 s with it in the topic config, not within 30 s with it in the global one). So the
 * façade takes one config, as librdkafka documents it, and passes each property where it acts.
 */
export function splitConfig(config: ClientConfig): { global: ClientConfig; topic: ClientConfig } {
  const global: ClientConfig = {};
  const topic: ClientConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (TOPIC_ONLY.has(key)) topic[key] = value;
    else global[key] = value;
  }
  return { global, topic };
}
