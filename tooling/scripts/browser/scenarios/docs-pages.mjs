// Every hand-written page of the docs site as a reader meets it (the generated API pages are many
// and alike: their index stands for them): it renders, logs no console error, every request it
// makes is found (the home page's picture included), its favicon is found, and its main column does not
// overflow: no horizontal scroll of the page, of the content column or of a table.
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The built site's pages, `/`-separated and relative to its root, the generated API pages left out. */
export function docsPages(dist) {
  const pages = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'assets') walk(path);
        continue;
      }
      const rel = relative(dist, path).split(sep).join('/');
      if (!rel.endsWith('.html') || rel === '404.html') continue;
      if (rel.startsWith('api/') && rel !== 'api/index.html') continue;
      pages.push(rel);
    }
  };
  walk(dist);
  return pages.sort();
}

/** Opens each page under `/docs/` at 1280×800 and checks it; screenshots the home and Performance pages. */
export async function docsPagesScenario({ context, origin, checks, artifacts }, dist) {
  const pages = docsPages(dist);
  checks.check('docs: the site has its hand-written pages', pages.length >= 15, `${pages.length} pages`);
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  let problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  for (const rel of pages) {
    problems = [];
    await page.goto(`${origin}/docs/${rel}`, { waitUntil: 'load' });
    // Images below the fold load lazily; scroll through so they are requested (and checked) too.
    await page.evaluate(async () => {
      for (let y = 0; y < document.documentElement.scrollHeight; y += 600) {
        window.scrollTo(0, y);
        await new Promise((r) => requestAnimationFrame(r));
      }
      window.scrollTo(0, 0);
    });
    await page.waitForLoadState('networkidle').catch(() => {});
    const seen = await page.evaluate(async () => {
      const main = document.querySelector('.VPDoc .vp-doc, .VPHome');
      const overflow = [];
      const root = document.documentElement;
      if (root.scrollWidth > window.innerWidth)
        overflow.push(`the page scrolls sideways (${root.scrollWidth}px wide)`);
      const column = document.querySelector('.VPDoc .vp-doc');
      if (column && column.scrollWidth > column.clientWidth + 1)
        overflow.push(`the content column is ${column.scrollWidth}px for ${column.clientWidth}px`);
      for (const [i, table] of [...document.querySelectorAll('.vp-doc table')].entries())
        if (table.scrollWidth > table.clientWidth + 1)
          overflow.push(`table ${i + 1} is ${table.scrollWidth}px in ${table.clientWidth}px`);
      const broken = [...document.querySelectorAll('img')]
        .filter((img) => img.complete && img.naturalWidth === 0)
        .map((img) => img.getAttribute('src'));
      // Headless Chromium asks for no favicon; a browser would, so the page's icon link is fetched
      // here (without one, browsers ask for /favicon.ico, which the site does not have).
      const icon = document.querySelector('link[rel~="icon"]')?.href;
      const iconStatus = icon ? (await fetch(icon)).status : 0;
      return {
        iconStatus,
        text: main?.textContent?.trim().length ?? 0,
        heading: document.querySelector('h1, .VPHero .name')?.textContent?.trim() ?? '',
        overflow,
        broken,
        heroImage: document.querySelector('.VPHero img')?.naturalWidth ?? 0,
      };
    });
    if (seen.text < 100 || seen.heading === '') problems.push(`renders no content (${seen.text} characters)`);
    problems.push(...seen.overflow, ...seen.broken.map((src) => `broken image ${src}`));
    if (seen.iconStatus !== 200) problems.push(`favicon: ${seen.iconStatus || 'no <link rel="icon">'}`);
    if (rel === 'index.html' && seen.heroImage === 0) problems.push('the home page has no picture');
    checks.check(
      `docs page /${rel}: renders, no console errors, every request found, fits the column`,
      problems.length === 0,
      problems.join('; ') || seen.heading,
    );
    if (rel === 'index.html' || rel === 'performance.html')
      await page.screenshot({
        path: join(artifacts, `docs-${rel.replace('.html', '')}.png`),
        fullPage: true,
      });
  }
  await page.close();
}
