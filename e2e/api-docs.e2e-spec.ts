import { createHash } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { chromium, type Browser, type Page } from 'playwright-core';
import { api } from './support/http.js';
import { e2eState } from './support/state.js';

/** Debian's Chromium (CI installs it); no browser is downloaded. */
const CHROMIUM = '/usr/bin/chromium';

/** The policy the reference page must be served under (apps/gateway/src/docs/reference-page.ts). */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Swagger UI's row for an operation: its method block holding its path. */
const LOGIN_OPERATION = '.opblock-post .opblock-summary-path[data-path="/v1/auth/login"]';

describe('the API reference (GET /docs) and its OpenAPI document', () => {
  it('GET /docs is an HTML page under its own tight CSP', async () => {
    const response = await api('GET', '/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
  });

  it("every other answer keeps the API's CSP: the page's files, the document, errors", async () => {
    const apiCsp = (await api('GET', '/v1/products')).headers['content-security-policy'];
    expect(apiCsp).toMatch(/^default-src 'none';/);
    const script = /<script src="([^"]+)"/.exec((await api('GET', '/docs')).text)![1]!;
    const answers = await Promise.all(
      [script, '/docs/openapi.json', '/docs/assets/nope.js', '/docs?url=https://evil.example'].map(
        (path) => api('GET', path),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 400]);
    for (const answer of answers) expect(answer.headers['content-security-policy']).toBe(apiCsp);
  });

  it('GET /docs/openapi.json is the OpenAPI 3 document, naming no other server', async () => {
    const response = await api('GET', '/docs/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json.openapi).toMatch(/^3\./);
    expect(response.json.paths['/v1/auth/login']).toHaveProperty('post');
    // No servers: "Try it out" calls the origin the page came from, and nothing else.
    expect(response.json.servers ?? []).toEqual([]);
  });

  const chromiumFound = fs.existsSync(CHROMIUM);
  // Elsewhere the browser half is skipped, saying why; on CI it must run (then beforeAll fails).
  const inChromium = chromiumFound || process.env.CI ? describe : describe.skip;
  const absent = process.env.CI ? 'CI must have one' : 'skipped';
  const missing = chromiumFound ? '' : ` (no Chromium at ${CHROMIUM}: ${absent})`;

  inChromium(`in Chromium${missing}`, () => {
    let browser: Browser;

    beforeAll(async () => {
      if (!chromiumFound) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        // Chromium cannot be handed the dev CA as a file. Node verifies the gateway's
        // certificate against that CA (name and chain); Chromium then accepts exactly that
        // leaf key and no other: HTTPS errors stay fatal for anything else.
        args: [`--ignore-certificate-errors-spki-list=${await verifiedGatewaySpki()}`],
      });
    });

    afterAll(() => browser?.close());

    it('renders POST /v1/auth/login with no CSP violation and no console error', async () => {
      const { page, problems } = await openReference(browser);
      try {
        await page.waitForSelector(LOGIN_OPERATION);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it("would see a violation: under default-src 'none' the same page is blocked, and reported", async () => {
      const { page, problems } = await openReference(browser, "default-src 'none'");
      try {
        // goto returned at the load event, after every blocked script and stylesheet.
        expect(await page.locator(LOGIN_OPERATION).count()).toBe(0);
        expect(problems).toEqual(
          expect.arrayContaining([expect.stringMatching(/^csp: script-src-elem /)]),
        );
      } finally {
        await page.close();
      }
    });
  });
});

/**
 * The base64 SHA-256 of the gateway's public key (SPKI), read from a TLS connection that
 * Node verified against the suite's dev CA, so the browser pins a certificate that was
 * checked, not merely whatever the port answered with.
 */
async function verifiedGatewaySpki(): Promise<string> {
  const { gatewayUrl, caFile } = e2eState();
  const { hostname, port } = new URL(gatewayUrl);
  const socket = tls.connect({
    host: hostname,
    port: Number(port),
    ca: fs.readFileSync(caFile),
    rejectUnauthorized: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve).once('error', reject);
    });
    const spki = socket.getPeerX509Certificate()!.publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('base64');
  } finally {
    socket.destroy();
  }
}

/** Passes each `securitypolicyviolation` of the document out through a binding, which no CSP blocks. */
const REPORT_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) =>
  window.reportViolation(event.effectiveDirective + ' ' + event.blockedURI));`;

/**
 * Opens GET /docs, recording every CSP violation, console error and uncaught exception.
 * `otherCsp`: the page's HTML as the gateway served it, but under that policy instead, to
 * show that the recorder does see violations.
 */
async function openReference(
  browser: Browser,
  otherCsp?: string,
): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await browser.newPage({ ignoreHTTPSErrors: false });
  await page.exposeBinding('reportViolation', (_, line: string) => problems.push(`csp: ${line}`));
  await page.addInitScript({ content: REPORT_VIOLATIONS });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
  const url = `${e2eState().gatewayUrl}/docs`;
  if (otherCsp) {
    const served = await api('GET', '/docs');
    await page.route(url, (route) =>
      route.fulfill({
        status: served.status,
        contentType: String(served.headers['content-type']),
        headers: { 'content-security-policy': otherCsp },
        body: served.text,
      }),
    );
  }
  await page.goto(url);
  return { page, problems };
}
