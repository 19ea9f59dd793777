// The Rust reference twins of the per-call hot paths: parseDuration, calculateDelay and
// classification of one error. The façade serves those call shapes from TS, because one N-API
// crossing costs more than the TS work (bench rows "parseDuration", "calculateDelay", "classify one
// error"); these wrappers exist so that the bench measures the Rust side and the conformance suite
// (`__test__/*/conformance.test.ts`) holds the TS twins to it. Behind the same interfaces as the
// TS twins (`ts/*/twin.ts`); null when the binding is not loaded.
'use strict';
const path = require('node:path');
const { native: binding } = require(path.join(__dirname, '..', 'dist', 'native', 'load'));
const { nativeClassify } = require(path.join(__dirname, '..', 'dist', 'classify', 'native'));

const referenceDuration = binding && {
  parse: binding.referenceParseDuration,
  cacheStats() {
    const [hits, misses, size, capacity] = binding.referenceDurationCacheStats();
    return { hits, misses, size, capacity };
  },
  resetCache: binding.referenceDurationCacheReset,
  isCached: binding.referenceDurationIsCached,
};

const referenceBackoff = binding && {
  delay: (s, attempt) => binding.referenceCalculateDelay(s.kind, s.a, s.b, s.c, attempt),
  delayGeneral: (s, attempt) => binding.referenceCalculateDelayGeneral(s.kind, s.a, s.b, s.c, attempt),
  jitter: (mode, d, random, previous, s) => binding.referenceJitteredDelay(mode, d, random, previous, s.kind, s.a, s.b, s.c),
};

/** Per call by code and by text from the reference exports; the batch is the façade's own native twin. */
const referenceClassify = binding && {
  code: binding.referenceClassifyCode,
  text: binding.referenceClassifyText,
  texts: nativeClassify.texts,
};

/** The Rust pattern table as [pattern, category id] pairs. */
const referencePatterns = () =>
  binding
    .referenceClassifyPatterns()
    .map((line) => line.split('\t'))
    .map(([p, id]) => [p, Number(id)]);

module.exports = { referenceDuration, referenceBackoff, referenceClassify, referencePatterns };
