// One call to Vault's HTTP API, for the init image's steps (vault-init, vault-unseal).
// Node built-ins only. Over HTTPS, only the Citadel CA is trusted and only TLS 1.3 is
// spoken; plain HTTP is accepted for a loopback address alone (the local Vault server in
// the tests), so an unseal key or root token never crosses a network in clear.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { URL } from 'node:url';
import { layout } from './container-layout.mjs';

const LOOPBACK = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/;

/**
 * `method route` against `addr` (VAULT_ADDR); resolves `{status, body}` for any answer and
 * rejects when there is none (refused, reset, timed out).
 */
export function vaultApi(method, route, body, { addr, caFile = layout.caFile, timeoutMs = 5_000 }) {
  const url = new URL(`/v1/${route}`, addr);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new Error(`VAULT_ADDR must be https:// (plain http only on loopback): ${addr}`);
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const tlsOptions =
    url.protocol === 'https:' ? { ca: fs.readFileSync(caFile), minVersion: 'TLSv1.3' } : {};
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method,
        ...tlsOptions,
        timeout: timeoutMs,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { raw: text };
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${route}: timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}
