#!/usr/bin/env node
// Checks the Markdown a newcomer follows: every relative link in every .md file of the
// repository resolves (the file, and an `#anchor` to one of its headings by GitHub's slug
// rules), and every npm script a code span or code block runs exists in the package.json it
// names. Prints each problem as file:line and exits 1, so a renamed file, a moved heading or
// a deleted script breaks CI instead of the reader. Plain Node, no dependency.
//
//   node scripts/check-docs.mjs [repository root]   (default: the repository holding this file)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Fenced code blocks (``` or ~~~, up to three spaces in), as GitHub's Markdown reads them. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** A code span: a run of backticks, its text, and the same run closing it (within a paragraph). */
const CODE_SPAN = /(`+)((?:(?!\n\s*\n)[\s\S])*?[^`])\1(?!`)/g;
/** An inline link or image destination: `](dest)`, `](<dest>)`, optionally with a title. */
const INLINE_LINK = /\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)/g;
/** A link reference definition: `[label]: dest`. */
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm;
const ATX_HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
/** What separates shell commands: `&&`, `||`, `;`, `|`, and a subshell's parentheses. */
const COMMAND_SEPARATOR = /&&|\|\||[;|()]/;
/** npm's own aliases for running a script. */
const RUN_COMMANDS = new Set(['run', 'run-script', 'rum', 'urn', 'rr']);
const LIFECYCLE_COMMANDS = new Map([
  ['start', 'start'],
  ['test', 'test'],
  ['t', 'test'],
  ['tst', 'test'],
  ['stop', 'stop'],
  ['restart', 'restart'],
]);

/**
 * Splits a Markdown file into prose (fenced blocks blanked, so offsets and line numbers stay
 * true) and the fenced blocks' lines.
 */
export function splitFences(text) {
  const lines = text.split('\n');
  const prose = [];
  const fencedLines = [];
  let open = null;
  lines.forEach((line, index) => {
    const fence = FENCE.exec(line);
    if (open === null && fence) {
      open = fence[1];
      prose.push('');
    } else if (open !== null) {
      const closing = fence && fence[1][0] === open[0] && fence[1].length >= open.length;
      if (closing && line.trim() === fence[1]) open = null;
      else fencedLines.push({ line: index + 1, text: line });
      prose.push('');
    } else {
      prose.push(line);
    }
  });
  return { prose: prose.join('\n'), fencedLines };
}

/** The 1-based line of a character offset. */
function lineAt(text, offset) {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/** Code spans of the prose, and the prose with them blanked (a link inside code is no link). */
export function extractCodeSpans(prose) {
  const spans = [];
  const blanked = prose.replace(CODE_SPAN, (match, ticks, content, offset) => {
    spans.push({ line: lineAt(prose, offset), text: content.replace(/\s*\n\s*/g, ' ').trim() });
    return match.replace(/[^\n]/g, ' ');
  });
  return { spans, blanked };
}

/** Every link destination in the prose (code spans blanked), with its line. */
export function findLinks(blankedProse) {
  const links = [];
  for (const pattern of [INLINE_LINK, REFERENCE_DEFINITION]) {
    for (const match of blankedProse.matchAll(pattern)) {
      const target = match[1].replace(/^<(.*)>$/, '$1');
      if (target !== '') links.push({ line: lineAt(blankedProse, match.index), target });
    }
  }
  return links.sort((a, b) => a.line - b.line);
}

/** A heading's text as GitHub renders it: links to their text, code to its content, no markup. */
function renderedHeadingText(heading) {
  return heading
    .split(/(`+[^`]*`+)/)
    .map((part) =>
      part.startsWith('`')
        ? part.replace(/^`+|`+$/g, '')
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]+>/g, '')
            .replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}]|$)/gu, '$1'),
    )
    .join('');
}

/** GitHub's heading slug (github-slugger): lower case, punctuation dropped, each space a hyphen. */
export function githubSlug(heading) {
  return renderedHeadingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file's headings get; a repeated slug gets -1, -2, ... as on GitHub. */
export function headingAnchors(text) {
  const lines = splitFences(text).prose.split('\n');
  const anchors = new Set();
  const seen = new Map();
  const add = (heading) => {
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  lines.forEach((line, index) => {
    const atx = ATX_HEADING.exec(line);
    if (atx) return add(atx[1]);
    const next = lines[index + 1];
    const isParagraphLine = line.trim() !== '' && !/^ {0,3}([-*+>|]|\d+[.)])/.test(line);
    if (next !== undefined && isParagraphLine && SETEXT_UNDERLINE.test(next)) add(line.trim());
  });
  return anchors;
}

/**
 * The npm scripts a piece of code runs: `npm run X`, `npm start`, `npm test`, with the
 * workspace it names (`-w`/`--workspace`) and the directory a preceding `cd` moved to.
 */
export function findNpmScripts(code) {
  const found = [];
  let directory = '.';
  for (const segment of code.split(COMMAND_SEPARATOR)) {
    const words = segment.trim().split(/\s+/);
    const first = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
    if (words[first] === 'cd' && words[first + 1]) directory = cdTarget(words[first + 1]);
    if (words[first] !== 'npm') continue;
    const invocation = parseNpmInvocation(words.slice(first + 1));
    if (invocation) found.push({ ...invocation, directory, command: segment.trim() });
  }
  return found;
}

/**
 * Where a `cd` in a documented command goes, relative to the repository root. An absolute
 * or variable path (a worktree, `$CITADEL_HOME`) is taken to be a copy of the repository.
 */
function cdTarget(word) {
  return /^[/~$]/.test(word) ? '.' : word;
}

/** Reads `npm [flags] run X [flags] [-- args]`; undefined when it runs no script. */
function parseNpmInvocation(args) {
  let script;
  let workspace;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--') break;
    if (arg === '-w' || arg === '--workspace') {
      workspace = args[i + 1] ?? '';
      i += 1;
    } else if (arg.startsWith('--workspace=')) {
      workspace = arg.slice('--workspace='.length);
    } else if (arg.startsWith('-')) {
      continue;
    } else if (script === undefined) {
      if (RUN_COMMANDS.has(arg)) {
        const name = args[i + 1];
        if (name === undefined || name.startsWith('-')) return undefined;
        script = name;
        i += 1;
      } else if (LIFECYCLE_COMMANDS.has(arg)) {
        script = LIFECYCLE_COMMANDS.get(arg);
      } else {
        return undefined;
      }
    }
  }
  return script === undefined ? undefined : { script, workspace };
}

/** The repository's files as git sees them (tracked, plus new ones not ignored). */
function repositoryFiles(root) {
  const output = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return [...new Set(output.split('\0'))].filter(
    (file) => file !== '' && fs.existsSync(path.join(root, file)),
  );
}

/** Every package.json of the repository, by directory and by package name. */
function loadPackages(root, files) {
  const byDirectory = new Map();
  const byName = new Map();
  for (const file of files.filter((f) => path.posix.basename(f) === 'package.json')) {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
    const entry = { file, scripts: manifest.scripts ?? {} };
    byDirectory.set(path.posix.dirname(file), entry);
    if (manifest.name) byName.set(manifest.name, entry);
  }
  return { byDirectory, byName };
}

/** Checks one link; returns the problem, or undefined when it resolves. */
function checkLink(link, from, repo) {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hashAt = target.indexOf('#');
  const rawPath = (hashAt < 0 ? target : target.slice(0, hashAt)).replace(/\?.*$/, '');
  const anchor = hashAt < 0 ? undefined : target.slice(hashAt + 1);
  let resolved = from;
  if (rawPath !== '') {
    const decoded = safelyDecoded(rawPath);
    resolved = decoded.startsWith('/')
      ? path.posix.normalize(decoded.slice(1))
      : path.posix.normalize(path.posix.join(path.posix.dirname(from), decoded));
    resolved = resolved.replace(/\/$/, '') || '.';
    if (resolved === '..' || resolved.startsWith('../')) return 'points outside the repository';
    if (!repo.files.has(resolved) && !repo.directories.has(resolved)) return 'no such file';
  }
  if (anchor === undefined || anchor === '' || !resolved.toLowerCase().endsWith('.md')) {
    return undefined;
  }
  return repo.anchorsOf(resolved).has(safelyDecoded(anchor))
    ? undefined
    : `no heading with the anchor #${anchor} in ${resolved}`;
}

function safelyDecoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Checks one npm script a command runs; returns the problem, or undefined when it exists. */
function checkNpmScript(invocation, packages) {
  const { script, workspace, directory } = invocation;
  let manifest;
  if (workspace === undefined) {
    manifest = packages.byDirectory.get(path.posix.normalize(directory));
    if (!manifest) return `no package.json in ${directory}`;
  } else {
    const asPath = path.posix.normalize(path.posix.join(directory, workspace));
    manifest = packages.byName.get(workspace) ?? packages.byDirectory.get(asPath);
    if (!manifest) return `no workspace "${workspace}"`;
  }
  return Object.hasOwn(manifest.scripts, script)
    ? undefined
    : `no script "${script}" in ${manifest.file}`;
}

/** Checks every Markdown file of the repository at `root`; returns the problems found. */
export function checkRepository(root) {
  const fileList = repositoryFiles(root);
  const files = new Set(fileList);
  const directories = new Set(['.']);
  for (const file of fileList) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) {
      directories.add(dir);
    }
  }
  const anchorCache = new Map();
  const repo = {
    files,
    directories,
    anchorsOf(file) {
      if (!anchorCache.has(file)) {
        anchorCache.set(file, headingAnchors(fs.readFileSync(path.join(root, file), 'utf8')));
      }
      return anchorCache.get(file);
    },
  };
  const packages = loadPackages(root, fileList);
  const markdown = fileList.filter((file) => file.toLowerCase().endsWith('.md'));
  const problems = [];
  let linkCount = 0;
  let scriptCount = 0;
  for (const file of markdown) {
    const { prose, fencedLines } = splitFences(fs.readFileSync(path.join(root, file), 'utf8'));
    const { spans, blanked } = extractCodeSpans(prose);
    for (const link of findLinks(blanked)) {
      linkCount += 1;
      const problem = checkLink(link, file, repo);
      if (problem) problems.push(`${file}:${link.line}: link ${link.target}: ${problem}`);
    }
    for (const code of [...spans, ...fencedLines]) {
      for (const invocation of findNpmScripts(code.text)) {
        scriptCount += 1;
        const problem = checkNpmScript(invocation, packages);
        if (problem) problems.push(`${file}:${code.line}: \`${invocation.command}\`: ${problem}`);
      }
    }
  }
  return { problems, markdownCount: markdown.length, linkCount, scriptCount };
}

function main() {
  const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const root = path.resolve(process.argv[2] ?? defaultRoot);
  const { problems, markdownCount, linkCount, scriptCount } = checkRepository(root);
  for (const problem of problems) console.log(problem);
  const summary = `${markdownCount} Markdown files, ${linkCount} links, ${scriptCount} npm commands`;
  if (problems.length > 0) {
    console.log(`check-docs: ${problems.length} broken (${summary})`);
    process.exit(1);
  }
  console.log(`check-docs: ok (${summary})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
