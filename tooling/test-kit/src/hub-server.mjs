// A loopback stand-in for the Hugging Face hub, for tests in Node and in Chromium: the `resolve`
// endpoint with the hub's headers (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size,
// X-Error-Code), large files redirected to a second port (the large-file host) that honours
// Range, the revision API, CORS, and faults on demand (a connection dropped or stalled half-way,
// bytes that do not match their sha256, a token required, a redirect loop). Binds 127.0.0.1 on
// free ports only. Plain JavaScript so the browser test script (plain node) can start it too.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/** Files that the hub keeps in large-file storage (its .gitattributes sends these to LFS). */
const LARGE = /\.(safetensors|bin|h5|msgpack|onnx|pt)$/;

const EXPOSED = [
  'X-Repo-Commit',
  'X-Linked-Etag',
  'X-Linked-Size',
  'ETag',
  'X-Error-Code',
  'X-Error-Message',
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'Location',
].join(', ');

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The git blob id of a file: what the hub sends as the ETag of a small file. */
function gitBlobId(bytes) {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function cors(res) {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}

function preflight(req, res) {
  if (req.method !== 'OPTIONS') return false;
  cors(res);
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
  res.setHeader(
    'Access-Control-Allow-Headers',
    'Authorization, Range, Accept-Encoding, Content-Type, User-Agent',
  );
  res.setHeader('Access-Control-Max-Age', '600');
  res.writeHead(204).end();
  return true;
}

/**
 * Starts the stand-in hub. `repos` maps a repo id to its files (bytes, or a path to read) and,
 * optionally, its revisions (name → commit; default `main` → a commit made from the repo id) and
 * the token it requires (missing: 401, wrong: 403).
 */
export async function startHubServer({ repos }) {
  const state = new Map();
  for (const [id, repo] of Object.entries(repos)) {
    const files = new Map();
    for (const [name, content] of Object.entries(repo.files)) {
      const bytes = typeof content === 'string' ? readFileSync(content) : Buffer.from(content);
      files.set(name, { bytes, sha256: sha256(bytes), blobId: gitBlobId(bytes), large: LARGE.test(name) });
    }
    const main = createHash('sha1').update(`commit ${id}`).digest('hex');
    state.set(id, {
      files,
      revisions: new Map(Object.entries(repo.revisions ?? { main })),
      token: repo.token,
    });
  }
  const blobs = new Map();
  for (const repo of state.values())
    for (const file of repo.files.values()) if (file.large) blobs.set(file.sha256, file);

  const requests = [];
  const faults = []; // { kind, file, bytes, times }
  const sockets = new Set();
  const takeFault = (kind, name) => {
    const fault = faults.find((f) => f.kind === kind && f.file === name && f.times > 0);
    if (fault) fault.times--;
    return fault;
  };

  const record = (host, req) => {
    const entry = {
      host,
      method: req.method,
      path: decodeURIComponent(new URL(req.url, 'http://x').pathname),
      url: req.url,
      range: req.headers.range,
      authorization: req.headers.authorization,
      acceptEncoding: req.headers['accept-encoding'],
    };
    requests.push(entry);
    return entry;
  };

  /** Sends `file` (whole or from a Range), applying any drop, stall or corruption fault. */
  const sendBytes = (req, res, file, name) => {
    let bytes = file.bytes;
    const corrupt = req.method === 'GET' ? takeFault('corrupt', name) : undefined;
    if (corrupt) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` }).end();
        return;
      }
    }
    const body = bytes.subarray(start);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(body.length));
    if (range) res.setHeader('Content-Range', `bytes ${start}-${bytes.length - 1}/${bytes.length}`);
    res.writeHead(range ? 206 : 200);
    if (req.method === 'HEAD') return res.end();
    const delay = takeFault('delay', name);
    if (delay) {
      setTimeout(() => res.end(body), delay.bytes);
      return;
    }
    const drop = takeFault('drop', name);
    const stall = drop ? undefined : takeFault('stall', name);
    const cut = drop ?? stall;
    if (cut === undefined) return res.end(body);
    const n = Math.min(cut.bytes, body.length - 1);
    res.write(body.subarray(0, n), () => {
      // A drop resets the connection; a stall leaves it open and silent until the client gives up.
      if (drop) setTimeout(() => res.socket?.destroy(), 20);
    });
  };

  const hub = createServer((req, res) => {
    if (preflight(req, res)) return;
    cors(res);
    const entry = record('hub', req);
    const path = entry.path;
    const fail = (status, code, extra = {}) => {
      res
        .writeHead(status, { ...(code ? { 'X-Error-Code': code } : {}), ...extra })
        .end(req.method === 'HEAD' ? undefined : `${code ?? status}`);
    };
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(new URL(req.url, 'http://x').pathname);
    const resolveAt = api ? -1 : path.indexOf('/resolve/');
    const repoId = api ? decodeURIComponent(api[1]) : resolveAt > 0 ? path.slice(1, resolveAt) : undefined;
    const repo = repoId === undefined ? undefined : state.get(repoId);
    if (repo === undefined) return fail(repoId === undefined ? 400 : 401, 'RepoNotFound');
    if (repo.token !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined)
        return fail(401, 'RepoNotFound', {
          'X-Error-Message': 'Invalid credentials in Authorization header',
        });
      if (auth !== `Bearer ${repo.token}`) return fail(403, 'GatedRepo');
    }
    // The revision is one URL segment (refs/pr/1 arrives as refs%2Fpr%2F1).
    const rawTail = api
      ? api[2]
      : req.url.split('?')[0].slice(req.url.indexOf('/resolve/') + '/resolve/'.length);
    const [rawRevision, ...rawFile] = rawTail.split('/');
    const revision = decodeURIComponent(rawRevision);
    const commit =
      repo.revisions.get(revision) ??
      ([...repo.revisions.values()].includes(revision) ? revision : undefined);
    if (commit === undefined) return fail(404, 'RevisionNotFound');
    if (api) {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ id: repoId, sha: commit }));
      return;
    }
    const name = rawFile.map(decodeURIComponent).join('/');
    res.setHeader('X-Repo-Commit', commit);
    const loop = takeFault('redirect-loop', name);
    if (loop) {
      loop.times++; // a loop never ends
      res.writeHead(302, { Location: req.url }).end();
      return;
    }
    const file = repo.files.get(name);
    if (file === undefined) return fail(404, 'EntryNotFound');
    if (!file.large) {
      res.setHeader('ETag', `"${file.blobId}"`);
      return sendBytes(req, res, file, name);
    }
    res.writeHead(302, {
      Location: `${lfsOrigin}/blobs/${file.sha256}?signature=loopback`,
      ETag: `"${file.blobId}"`,
      'X-Linked-Etag': `"${file.sha256}"`,
      'X-Linked-Size': String(
        file.bytes.length + (faults.find((f) => f.kind === 'size' && f.file === name)?.bytes ?? 0),
      ),
      'Content-Length': '0',
    });
    res.end();
  });

  const lfs = createServer((req, res) => {
    if (preflight(req, res)) return;
    cors(res);
    const entry = record('lfs', req);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(entry.path)?.[1];
    const file = sha === undefined ? undefined : blobs.get(sha);
    if (file === undefined) return res.writeHead(404).end();
    res.setHeader('ETag', `"${file.sha256}"`);
    const name = [...state.values()].flatMap((r) =>
      [...r.files].filter(([, f]) => f === file).map(([n]) => n),
    )[0];
    sendBytes(req, res, file, name);
  });

  for (const server of [hub, lfs]) {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  const hubPort = await listen(hub);
  const lfsPort = await listen(lfs);
  const lfsOrigin = `http://127.0.0.1:${lfsPort}`;

  return {
    endpoint: `http://127.0.0.1:${hubPort}`,
    largeFileOrigin: lfsOrigin,
    requests,
    commitOf(repo, revision = 'main') {
      return state.get(repo)?.revisions.get(revision);
    },
    sha256Of(repo, file) {
      return state.get(repo)?.files.get(file)?.sha256;
    },
    blobIdOf(repo, file) {
      return state.get(repo)?.files.get(file)?.blobId;
    },
    /** The next `times` GETs of `file` send `bytes` bytes, then reset the connection. */
    dropAfter(file, bytes, times = 1) {
      faults.push({ kind: 'drop', file, bytes, times });
    },
    /** The next `times` GETs of `file` send `bytes` bytes, then go silent with the connection open. */
    stallAfter(file, bytes, times = 1) {
      faults.push({ kind: 'stall', file, bytes, times });
    },
    /** The next `times` GETs of `file` wait `ms` milliseconds before sending the body. */
    delay(file, ms, times = 1) {
      faults.push({ kind: 'delay', file, bytes: ms, times });
    },
    /** The next `times` GETs of `file` send bytes of the right size whose sha256 is wrong. */
    corrupt(file, times = 1) {
      faults.push({ kind: 'corrupt', file, bytes: 0, times });
    },
    /** Every request for `file` on the hub redirects to itself. */
    redirectLoop(file) {
      faults.push({ kind: 'redirect-loop', file, bytes: 0, times: 1 });
    },
    /** Large file `file` is announced (X-Linked-Size) as `delta` bytes longer than it is, until cleared. */
    misstateSize(file, delta) {
      faults.push({ kind: 'size', file, bytes: delta, times: 1 });
    },
    /** Drops the pending faults. */
    clearFaults() {
      faults.length = 0;
    },
    /** The requests for paths ending in `suffix` (on either host), optionally of one method. */
    requestsFor(suffix, method) {
      return requests.filter((r) => r.path.endsWith(suffix) && (method === undefined || r.method === method));
    },
    /** Stops both servers and cuts every open connection (stalled ones included). */
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([hub, lfs].map((s) => new Promise((resolve) => s.close(() => resolve()))));
    },
  };
}
