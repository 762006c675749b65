// The plumbing of the browser tests, apart from what they check: the loopback static server,
// Chromium with its flags and throwaway profiles, opening the test page, recording checks, and the
// artifacts (report JSON, screenshots). The scenarios (./scenarios/) use these and nothing else of
// the browser machinery.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';

/** Ends the run with one line naming what went wrong (a setup failure, not a failed check). */
export function fail(message) {
  console.error(`browser tests FAILED: ${message}`);
  process.exit(1);
}

/** The checks of one run: each is printed as it is made; the run fails at the end if any failed. */
export class Checks {
  results = [];
  #t0 = performance.now();
  #label;

  /** `label` starts each phase line (`browser tests: …`). */
  constructor(label = 'browser tests') {
    this.#label = label;
  }

  /** Records one assertion. */
  check(name, pass, detail) {
    this.results.push({ name, pass, detail });
    console.log(`${pass ? 'pass' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
  }

  /** A check that two token lists are equal, naming the first difference when not. */
  tokens(name, got, want) {
    this.check(name, JSON.stringify(got) === JSON.stringify(want), firstDiff(got, want));
  }

  /** Logs how long the run has taken so far, so a slow phase is visible in CI logs. */
  phase(name) {
    console.log(`${this.#label}: ${name} (${((performance.now() - this.#t0) / 1000).toFixed(1)} s)`);
  }

  get failed() {
    return this.results.filter((r) => !r.pass).length;
  }
}

/** Where two token lists (rows of ids) first differ, or undefined when they are equal. */
export function firstDiff(a, b) {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (!Array.isArray(a) || !Array.isArray(b)) return 'not comparable';
  for (let r = 0; r < Math.max(a.length, b.length); r++) {
    const x = a[r] ?? [];
    const y = b[r] ?? [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] !== y[i]) return `row ${r} first differs at token ${i}: browser ${x[i]}, node ${y[i]}`;
    }
  }
  return `${a.length} vs ${b.length} rows`;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/**
 * A static server on 127.0.0.1, cross-origin isolated so wasm threads are possible. `mounts` is a
 * list of [url prefix, folder], first match wins; nothing outside a mounted folder is served. It
 * counts requests per path, so a check can tell a download from a Cache API hit.
 */
export async function startServer(mounts) {
  const requestCounts = new Map();
  const fileFor = (urlPath) => {
    for (const [prefix, dir] of mounts) {
      if (!urlPath.startsWith(prefix)) continue;
      const rel = decodeURIComponent(urlPath.slice(prefix.length));
      const full = normalize(join(dir, rel));
      if (full !== dir && !full.startsWith(dir + sep)) return undefined;
      for (const candidate of [full, join(full, 'index.html'), `${full}.html`]) {
        if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
      }
      return undefined;
    }
    return undefined;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = `${req.method} ${url.pathname}`;
    requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
    const file = fileFor(url.pathname);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    if (file === undefined) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    /** Requests seen so far for one method and path. */
    requestsFor: (method, path) => requestCounts.get(`${method} ${path}`) ?? 0,
    close: () => server.close(),
  };
}

/** Chromium with no network services of its own and no GPU unless a caller adds the WebGPU flags. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Runs `use(context)` in a headless Chromium with a fresh profile (removed afterwards), launched with
 * {@link CHROMIUM_ARGS} plus `extraArgs`.
 */
export async function withChromium(chromium, { executablePath, profilePrefix, extraArgs = [] }, use) {
  const profile = mkdtempSync(join(tmpdir(), profilePrefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  try {
    return await use(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Opens the test page (packages/web/test/browser) with `query` and waits until it says it is ready;
 * returns the page and its console lines. A page that does not start ends the run.
 */
export async function openTestPage(ctx, origin, query, what) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  page.setDefaultTimeout(300_000);
  await page.goto(`${origin}/index.html?${query}`);
  await page
    .waitForFunction(() => document.title === 'ready' || document.title === 'error', undefined, {
      timeout: 60_000,
    })
    .catch(() => {});
  if ((await page.title()) !== 'ready') fail(`${what} did not start:\n${logs.join('\n')}`);
  return { page, logs };
}

/** The artifacts folder (screenshots, browser-report.json), created on first use. */
export function artifactsDir(root) {
  const dir = join(root, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes the run's report JSON beside the screenshots. */
export function writeReport(dir, report) {
  writeFileSync(join(dir, 'browser-report.json'), `${JSON.stringify(report, null, 2)}\n`);
}
