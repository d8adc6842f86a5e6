/**
 * @file Finds the user's source line in a stack trace, skipping Kiln's own frames, so errors and
 * traced nodes can point at the line that caused them. Kiln's frames are known two ways: unbundled,
 * by the directories its packages register; in a bundle (one file holding Kiln and the user's code,
 * so one directory), by position: Kiln's modules run before the code that imports them, so
 * everything up to the last registration in that file is Kiln's (or its dependencies'). Plain
 * string and URL work only, so a browser bundle needs no Node module.
 */

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One registerInternalSource call: the directory its module URL names, and where the call ran. */
interface Registration {
  readonly dir: string;
  readonly site: SourceLocation | null;
}

const registrations: Registration[] = [];

const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

const onWindows = (globalThis as { process?: { platform?: string } }).process?.platform === 'win32';

/** pathOf's answers: a trace records a location per op, and stacks name the same few files. */
const paths = new Map<string, string>();

/** A `file:` URL as the path stack traces print (other URLs, and paths, unchanged). */
function pathOf(url: string): string {
  if (!url.startsWith('file:')) return url;
  let path = paths.get(url);
  if (path === undefined) {
    const decoded = decodeURIComponent(new URL(url).pathname);
    path = onWindows && /^\/[A-Za-z]:\//.test(decoded) ? decoded.slice(1).replaceAll('/', '\\') : decoded;
    paths.set(url, path);
  }
  return path;
}

function directoryOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '.' : cut === 0 ? '/' : path.slice(0, cut);
}

const isUnder = (file: string, dir: string): boolean => file.startsWith(dir + '/') || file.startsWith(dir + '\\');

const isBefore = (a: SourceLocation, b: SourceLocation): boolean =>
  a.line < b.line || (a.line === b.line && a.column < b.column);

/** Frames a location looks at first: the user's line is a few frames up from a traced op. */
const NEAR_FRAMES = 12;
/** Frames it looks at when those are all Kiln's (deep calls, whatever the user set the limit to). */
const ALL_FRAMES = 50;

/** The current stack, `depth` frames deep. */
function currentStack(depth = ALL_FRAMES): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return stack;
}

interface CallSite {
  /** What the stack text names: a script's sourceURL comment, else its file. */
  getScriptNameOrSourceURL(): string | undefined | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}
type PrepareStackTrace = (error: Error, sites: CallSite[]) => unknown;
const V8Error = Error as unknown as { prepareStackTrace?: PrepareStackTrace; captureStackTrace?: (o: object) => void };
const node = (globalThis as { process?: { sourceMapsEnabled?: boolean; versions?: { node?: string } } }).process;
const takeSites: PrepareStackTrace = (_error, sites) => sites;

/**
 * The current stack's frames as V8 records them, or null where that would not give what the
 * stack text says: outside Node, with source maps on (Node maps the text's positions), or with
 * another stack formatter installed (source-map-support, say). Skipping the text saves ~40% of
 * a traced op's location cost.
 */
function currentSites(depth: number): CallSite[] | null {
  const formatter = V8Error.prepareStackTrace;
  if (!node?.versions?.node || node.sourceMapsEnabled || formatter?.name !== 'ErrorPrepareStackTrace') return null;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  V8Error.prepareStackTrace = takeSites;
  Error.stackTraceLimit = depth;
  try {
    V8Error.captureStackTrace!(holder);
    return holder.stack as CallSite[];
  } finally {
    Error.stackTraceLimit = limit;
    V8Error.prepareStackTrace = formatter;
  }
}

/**
 * The innermost `depth` frames of the current stack, innermost first (this module's own
 * included), and whether the stack went deeper (frames without a position are not listed).
 */
function currentFrames(depth: number): { frames: Iterable<SourceLocation>; cut: boolean } {
  const sites = currentSites(depth);
  if (!sites) {
    const stack = currentStack(depth);
    const count = stack?.split('\n').filter((l) => /^\s*at /.test(l) || /@/.test(l)).length ?? 0;
    return { frames: stackFrames(stack), cut: count >= depth };
  }
  return { frames: siteFrames(sites), cut: sites.length >= depth };
}

function* siteFrames(sites: readonly CallSite[]): Generator<SourceLocation> {
  for (const site of sites) {
    const file = site.getScriptNameOrSourceURL();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (file && line !== null && column !== null) yield { file: pathOf(file), line, column };
  }
}

/**
 * Marks a package's source directory as internal; pass the `import.meta.url` of a file in it. Call
 * it at the top level of a module: where the call runs is what marks Kiln's code in a bundle.
 */
export function registerInternalSource(moduleUrl: string): void {
  // Frames 0 and 1 are currentStack and this function; frame 2 is the module that registers.
  const site = [...stackFrames(currentStack())][2] ?? null;
  const dir = directoryOf(pathOf(moduleUrl));
  const same = (r: Registration) =>
    r.dir === dir && r.site?.file === site?.file && r.site?.line === site?.line && r.site?.column === site?.column;
  if (!registrations.some(same)) {
    registrations.push({ dir, site });
    bundleEnds.clear();
  }
}

/** bundleEnd's answers by file, until the next registration. */
const bundleEnds = new Map<string, SourceLocation | null>();

/** The last registration in `file` when two or more ran there (so it is a bundle), else null. */
function bundleEnd(file: string): SourceLocation | null {
  let end = bundleEnds.get(file);
  if (end === undefined) {
    const sites = registrations.flatMap((r) => (r.site?.file === file ? [r.site] : []));
    end = sites.length > 1 ? sites.reduce((a, b) => (isBefore(a, b) ? b : a)) : null;
    bundleEnds.set(file, end);
  }
  return end;
}

function isInternal(loc: SourceLocation): boolean {
  const end = bundleEnd(loc.file);
  if (end) return !isBefore(end, loc);
  if (loc.file.startsWith('node:') || loc.file.includes('/node_modules/')) return true;
  // A bundle's directory holds the user's code too, so only unbundled registrations count here.
  return registrations.some((r) => !(r.site && bundleEnd(r.site.file)) && isUnder(loc.file, r.dir));
}

/** Parses one `at ...` line of a V8 stack trace. */
export function parseFrame(frameLine: string): SourceLocation | null {
  const m = FRAME.exec(frameLine.trim());
  if (!m) return null;
  return { file: pathOf(m[1]!), line: Number(m[2]), column: Number(m[3]) };
}

/** The frames of a stack, innermost first: V8's `at f (file:1:2)` lines, or Firefox/Safari's `f@file:1:2`. */
function* stackFrames(stack: string | undefined): Generator<SourceLocation> {
  for (const line of stack?.split('\n') ?? []) {
    const text = line.trimStart();
    const at = text.startsWith('at ') ? text : /^[^\s@]*@/.test(text) ? text.slice(text.indexOf('@') + 1) : null;
    const loc = at === null ? null : parseFrame(at);
    if (loc) yield loc;
  }
}

/** The first of `frames` outside Kiln, or null (frames past it are never parsed). */
function firstUserFrame(frames: Iterable<SourceLocation>): SourceLocation | null {
  for (const loc of frames) if (!isInternal(loc)) return loc;
  return null;
}

/** The first frame of `stack` outside Kiln, or null. */
export function userFrameOf(stack: string | undefined): SourceLocation | null {
  return firstUserFrame(stackFrames(stack));
}

/** The user's source location of the current call, or null when the whole stack is Kiln's. */
export function callerLocation(): SourceLocation | null {
  return fixedCaller ? fixedCaller.location() : stackCaller();
}

/** callerLocation from the stack: the near frames first, all of them only if those are Kiln's. */
function stackCaller(): SourceLocation | null {
  const near = currentFrames(NEAR_FRAMES);
  return firstUserFrame(near.frames) ?? (near.cut ? firstUserFrame(currentFrames(ALL_FRAMES).frames) : null);
}

let fixedCaller: FixedCaller | null = null;

/**
 * A stretch of Kiln's own code (no callback of the user's) whose ops all have one user line: the
 * stack is read once, on the first callerLocation in any of its `run`s, not per op. The backward
 * pass of a gradient makes most of a training step's ops.
 */
export class FixedCaller {
  private found = false;
  private loc: SourceLocation | null = null;

  location(): SourceLocation | null {
    if (!this.found) {
      this.loc = stackCaller();
      this.found = true;
    }
    return this.loc;
  }

  /** Runs `fn` with every callerLocation answered by this (or by an outer one already running). */
  run<T>(fn: () => T): T {
    const outer = fixedCaller;
    fixedCaller = outer ?? this;
    try {
      return fn();
    } finally {
      fixedCaller = outer;
    }
  }
}

registerInternalSource(import.meta.url);

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}
