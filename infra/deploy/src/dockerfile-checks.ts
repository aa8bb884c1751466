import { isRootUser } from './compose-checks.js';

export interface DockerInstruction {
  keyword: string;
  args: string;
}
export interface DockerStage {
  image: string;
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * Splits a Dockerfile into its stages: continuation lines joined, comments and parser
 * directives dropped. Enough to read FROM, USER, COPY, RUN, ARG, ENV and HEALTHCHECK.
 */
export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  if (current.trim()) logical.push(current.trim());

  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const words = rest.filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        image: words[0] ?? '',
        ...(as >= 0 && words[as + 1] ? { name: words[as + 1] } : {}),
        instructions: [],
      });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** A stage's instructions, including those of the stages it builds on (`FROM <stage>`). */
function inherited(stages: DockerStage[], index: number): DockerInstruction[] {
  const stage = stages[index]!;
  const parent = stages.findIndex((other, i) => i < index && other.name === stage.image);
  return [...(parent >= 0 ? inherited(stages, parent) : []), ...stage.instructions];
}

/** `node:20.20.2-alpine3.22` and `…@sha256:…` are pinned; `node`, `node:latest`, `node:lts` are not. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('$')) return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  return tag !== '' && tag !== 'latest' && /\d/.test(tag);
}

const SECRET_NAME = /pass(word)?|secret|token|private.?key|api.?key|credential/i;
const SECRET_SOURCE = /(^|[\s/])(\.citadel\b|\S*\.pem\b|\S*-key\b|\S*\.key\b|\.env\b)/;

/**
 * What every Citadel Dockerfile must be: multi-stage, on base images pinned to a version,
 * running as a non-root user, with a HEALTHCHECK, production dependencies only, and no
 * secret material copied in or passed as a build argument.
 */
export function dockerfileFindings(text: string): string[] {
  const stages = parseDockerfile(text);
  const findings: string[] = [];
  if (stages.length < 2) findings.push('not a multi-stage build (fewer than two FROM)');

  const stageNames = new Set<string>();
  for (const stage of stages) {
    if (!stageNames.has(stage.image) && !isPinnedImage(stage.image))
      findings.push(`base image ${stage.image} is not pinned to a version`);
    if (stage.name) stageNames.add(stage.name);
  }

  const final = stages.length ? inherited(stages, stages.length - 1) : [];
  const user = final.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args;
  if (!user) findings.push('the final stage sets no USER: it runs as root');
  else if (isRootUser(user)) findings.push(`the final stage runs as root (USER ${user})`);

  const healthcheck = final.filter((instruction) => instruction.keyword === 'HEALTHCHECK').at(-1);
  if (!healthcheck || /^NONE\b/i.test(healthcheck.args))
    findings.push('the final stage has no HEALTHCHECK');

  const all = stages.flatMap((stage) => stage.instructions);
  for (const { keyword, args } of all) {
    if ((keyword === 'COPY' || keyword === 'ADD') && !args.includes('--from=')) {
      const sources = args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1);
      for (const source of sources.filter((source) => SECRET_SOURCE.test(source)))
        findings.push(`${keyword} ${source}: secret material in an image layer`);
    }
    if (keyword === 'ARG' || keyword === 'ENV') {
      const names = args.split(/\s+/).map((word) => word.split('=')[0] ?? '');
      for (const name of names.filter((name) => SECRET_NAME.test(name)))
        findings.push(`${keyword} ${name}: a secret would be kept in the image's history`);
    }
  }

  const runs = all.filter((instruction) => instruction.keyword === 'RUN').map((i) => i.args);
  const productionInstall = runs.some((run) =>
    /npm (ci|install|prune)\b[^;&|]*--omit[= ]dev|npm (ci|install|prune)\b[^;&|]*--production/.test(
      run,
    ),
  );
  if (!productionInstall) findings.push('no production-only install (npm ci --omit=dev)');
  const finalRuns = stages.at(-1)?.instructions.filter((i) => i.keyword === 'RUN') ?? [];
  for (const { args } of finalRuns) {
    if (/npm (ci|install)\b/.test(args) && !/--omit[= ]dev|--production/.test(args))
      findings.push('the final stage installs dev dependencies');
  }
  return findings;
}

/** `.dockerignore` must keep local state and key material out of the build context. */
export function dockerignoreFindings(text: string): string[] {
  const rules = new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
  const required = ['.citadel', '**/*.pem', '**/node_modules', '.git', '**/.env'];
  return required
    .filter((rule) => !rules.has(rule))
    .map((rule) => `.dockerignore does not exclude ${rule}`);
}
