#!/usr/bin/env node
'use strict';
// Container health check for every Failsoft app image (the slim base has no curl or wget).
// Usage: node healthcheck.js [path]   (default /livez). Exits 0 when GET http://127.0.0.1:$HTTP_PORT<path>
// answers 2xx within HEALTHCHECK_TIMEOUT_MS (default 2000), 1 otherwise, printing why.
const http = require('node:http');

const path = process.argv[2] || '/livez';
const port = Number(process.env.HTTP_PORT || 8080);
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 2000);

const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
  res.resume();
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  if (!ok) console.error(`healthcheck: GET ${path} on port ${port} answered ${res.statusCode}`);
  process.exit(ok ? 0 : 1);
});
req.on('timeout', () => {
  console.error(`healthcheck: GET ${path} on port ${port} timed out after ${timeoutMs} ms`);
  req.destroy();
  process.exit(1);
});
req.on('error', (err) => {
  console.error(`healthcheck: GET ${path} on port ${port} failed: ${err.message}`);
  process.exit(1);
});
