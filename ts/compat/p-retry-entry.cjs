// CommonJS entry of velo-retry/p-retry (copied beside the compiled p-retry.js by build:ts): the module is pRetry itself, with p-retry's named exports
// on it and __esModule set, so require(), TS's esModuleInterop and ESM import all find them.
'use strict';
const m = require('./p-retry.js');

module.exports = Object.assign(m.pRetry, { default: m.pRetry, pRetry: m.pRetry, AbortError: m.AbortError, makeRetriable: m.makeRetriable, __esModule: true });
